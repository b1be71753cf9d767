// Decodes ModelProto → GraphProto → nodes, initializers, inputs and outputs from protobuf bytes.
namespace Quill.Formats.Onnx;

/// <summary>What <see cref="OnnxModelReader.Read"/> found in a model file.</summary>
internal sealed class OnnxModel
{
    public long IrVersion;
    public string ProducerName = "";
    public string ProducerVersion = "";
    public string GraphName = "";
    public readonly List<OnnxOpset> Opsets = [];
    public readonly List<OnnxNode> Nodes = [];
    public readonly List<OnnxTensorInfo> Initializers = [];
    public readonly List<OnnxValueInfo> Inputs = [];
    public readonly List<OnnxValueInfo> Outputs = [];
    public bool HasGraph;
}

/// <summary>
/// Field numbers are onnx.proto's. Unknown fields are skipped; graph-valued attributes (If/Loop bodies) are skipped,
/// so nesting stays bounded. Every tensor's data range is checked against its dims and type here, once.
/// </summary>
internal static class OnnxModelReader
{
    /// <summary>Most dims a tensor may have; ONNX tensors in practice have at most 8.</summary>
    public const int MaxDims = 32;

    public static OnnxModel Read(ReadOnlySpan<byte> bytes, string file)
    {
        var model = new OnnxModel();
        var reader = new ProtobufReader(bytes, 0, file, "ModelProto");
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, WireType.Varint, "ir_version");
                    model.IrVersion = reader.ReadInt64("ir_version");
                    break;
                case 2:
                    reader.Expect(field, wire, WireType.LengthDelimited, "producer_name");
                    model.ProducerName = reader.ReadString("producer_name");
                    break;
                case 3:
                    reader.Expect(field, wire, WireType.LengthDelimited, "producer_version");
                    model.ProducerVersion = reader.ReadString("producer_version");
                    break;
                case 7:
                    reader.Expect(field, wire, WireType.LengthDelimited, "graph");
                    var graph = reader.ReadMessage("graph");
                    ReadGraph(ref graph, model);
                    model.HasGraph = true;
                    break;
                case 8:
                    reader.Expect(field, wire, WireType.LengthDelimited, "opset_import");
                    var opset = reader.ReadMessage($"opset_import[{model.Opsets.Count}]");
                    model.Opsets.Add(ReadOpset(ref opset));
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        if (!model.HasGraph) throw new ModelFormatException($"{file}: expected an ONNX ModelProto with a graph (field 7), found none in {bytes.Length} bytes");
        return model;
    }

    private static OnnxOpset ReadOpset(ref ProtobufReader reader)
    {
        string domain = "";
        long version = 0;
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            if (field == 1 && wire == WireType.LengthDelimited) domain = reader.ReadString("domain");
            else if (field == 2 && wire == WireType.Varint) version = reader.ReadInt64("version");
            else reader.Skip(field, wire);
        }
        return new OnnxOpset(domain, version);
    }

    private static void ReadGraph(ref ProtobufReader reader, OnnxModel model)
    {
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, WireType.LengthDelimited, "node");
                    var node = reader.ReadMessage($"graph.node[{model.Nodes.Count}]");
                    model.Nodes.Add(ReadNode(ref node));
                    break;
                case 2:
                    reader.Expect(field, wire, WireType.LengthDelimited, "name");
                    model.GraphName = reader.ReadString("graph.name");
                    break;
                case 5:
                    reader.Expect(field, wire, WireType.LengthDelimited, "initializer");
                    var tensor = reader.ReadMessage($"graph.initializer[{model.Initializers.Count}]");
                    model.Initializers.Add(ReadTensor(ref tensor));
                    break;
                case 11:
                    reader.Expect(field, wire, WireType.LengthDelimited, "input");
                    var input = reader.ReadMessage($"graph.input[{model.Inputs.Count}]");
                    model.Inputs.Add(ReadValueInfo(ref input));
                    break;
                case 12:
                    reader.Expect(field, wire, WireType.LengthDelimited, "output");
                    var output = reader.ReadMessage($"graph.output[{model.Outputs.Count}]");
                    model.Outputs.Add(ReadValueInfo(ref output));
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
    }

    private static OnnxNode ReadNode(ref ProtobufReader reader)
    {
        string name = "", opType = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1:
                    reader.Expect(field, wire, WireType.LengthDelimited, "input");
                    inputs.Add(reader.ReadString("input"));
                    break;
                case 2:
                    reader.Expect(field, wire, WireType.LengthDelimited, "output");
                    outputs.Add(reader.ReadString("output"));
                    break;
                case 3:
                    reader.Expect(field, wire, WireType.LengthDelimited, "name");
                    name = reader.ReadString("name");
                    break;
                case 4:
                    reader.Expect(field, wire, WireType.LengthDelimited, "op_type");
                    opType = reader.ReadString("op_type");
                    break;
                case 5:
                    reader.Expect(field, wire, WireType.LengthDelimited, "attribute");
                    var attribute = reader.ReadMessage($"{reader.Where}.attribute[{attributes.Count}]");
                    attributes.Add(ReadAttribute(ref attribute));
                    break;
                case 7:
                    reader.Expect(field, wire, WireType.LengthDelimited, "domain");
                    domain = reader.ReadString("domain");
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        return new OnnxNode(name, opType, domain, [.. inputs], [.. outputs], [.. attributes]);
    }

    private static OnnxAttribute ReadAttribute(ref ProtobufReader reader)
    {
        string name = "";
        var type = OnnxAttributeType.Undefined;
        float f = 0;
        long i = 0;
        string? s = null;
        OnnxTensorInfo? t = null;
        var floats = new List<float>();
        var ints = new List<long>();
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1 when wire == WireType.LengthDelimited: name = reader.ReadString("name"); break;
                case 20 when wire == WireType.Varint: type = (OnnxAttributeType)reader.ReadInt32("type"); break;
                case 2 when wire == WireType.Fixed32: f = reader.ReadFixed32Float("f"); break;
                case 3 when wire == WireType.Varint: i = reader.ReadInt64("i"); break;
                case 4 when wire == WireType.LengthDelimited:
                    // bytes, usually UTF-8; keep it lossy rather than refusing a model over a doc-like attribute.
                    s = System.Text.Encoding.UTF8.GetString(reader.ReadBytes("s", out _));
                    break;
                case 5 when wire == WireType.LengthDelimited:
                    var tensor = reader.ReadMessage($"{reader.Where}.t");
                    t = ReadTensor(ref tensor);
                    break;
                case 7 when wire == WireType.Fixed32: floats.Add(reader.ReadFixed32Float("floats")); break;
                case 7 when wire == WireType.LengthDelimited:
                    var packedFloats = reader.ReadBytes("floats", out long floatsAt);
                    if (packedFloats.Length % 4 != 0) throw reader.Fail($"packed floats of a multiple of 4 bytes, found {packedFloats.Length}", floatsAt);
                    for (int k = 0; k < packedFloats.Length; k += 4) floats.Add(BitConverter.ToSingle(packedFloats.Slice(k, 4)));
                    break;
                case 8 when wire == WireType.Varint: ints.Add(reader.ReadInt64("ints")); break;
                case 8 when wire == WireType.LengthDelimited:
                    var packed = reader.ReadMessage($"{reader.Where}.ints");
                    while (!packed.End) ints.Add(packed.ReadInt64("ints"));
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        return new OnnxAttribute(name, type, f, i, s, t, [.. floats], [.. ints]);
    }

    private static OnnxTensorInfo ReadTensor(ref ProtobufReader reader)
    {
        string where = reader.Where;
        long start = reader.Offset;
        string name = "";
        int dataType = 0;
        var dims = new List<long>();
        var storage = OnnxTensorStorage.None;
        long dataOffset = 0, dataLength = 0, valueCount = 0;
        bool external = false;
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            switch (field)
            {
                case 1 when wire == WireType.Varint:
                    AddDim(ref reader, dims, reader.ReadInt64("dims"));
                    break;
                case 1 when wire == WireType.LengthDelimited:
                    var packedDims = reader.ReadMessage($"{where}.dims");
                    while (!packedDims.End) AddDim(ref reader, dims, packedDims.ReadInt64("dims"));
                    break;
                case 2:
                    reader.Expect(field, wire, WireType.Varint, "data_type");
                    dataType = reader.ReadInt32("data_type");
                    break;
                case 3:
                    throw reader.Fail("an unsegmented tensor, found a segment field (3)", reader.Offset);
                case 8:
                    reader.Expect(field, wire, WireType.LengthDelimited, "name");
                    name = reader.ReadString("name");
                    break;
                case 9:
                    reader.Expect(field, wire, WireType.LengthDelimited, "raw_data");
                    SetData(ref reader, ref storage, OnnxTensorStorage.Raw, reader.ReadBytes("raw_data", out dataOffset), out dataLength);
                    break;
                case 4 or 5 or 7 or 10:
                    var kind = field switch
                    {
                        4 => OnnxTensorStorage.FloatData,
                        5 => OnnxTensorStorage.Int32Data,
                        7 => OnnxTensorStorage.Int64Data,
                        _ => OnnxTensorStorage.DoubleData,
                    };
                    if (wire != WireType.LengthDelimited)
                        throw reader.Fail($"packed {kind} (wire type 2) in field {field}, found wire type {(int)wire}", reader.Offset);
                    var values = reader.ReadBytes(kind.ToString(), out dataOffset);
                    SetData(ref reader, ref storage, kind, values, out dataLength);
                    if (kind is OnnxTensorStorage.Int32Data or OnnxTensorStorage.Int64Data) valueCount = CountVarints(ref reader, values, dataOffset);
                    break;
                case 13 when wire == WireType.LengthDelimited:
                    external = true;
                    reader.ReadBytes("external_data", out _);
                    break;
                case 14 when wire == WireType.Varint:
                    if (reader.ReadInt32("data_location") == 1) external = true;
                    break;
                default:
                    reader.Skip(field, wire);
                    break;
            }
        }
        var type = (OnnxDataType)dataType;
        long[] shape = [.. dims];
        long count = ElementCount(ref reader, shape, name, start);
        if (external) return new OnnxTensorInfo(name, type, shape, OnnxTensorStorage.External, 0, 0);
        CheckLength(ref reader, name, type, shape, count, storage, dataLength, valueCount, start);
        return new OnnxTensorInfo(name, type, shape, storage, dataOffset, dataLength);
    }

    private static void AddDim(ref ProtobufReader reader, List<long> dims, long dim)
    {
        if (dims.Count >= MaxDims) throw reader.Fail($"at most {MaxDims} dims in {reader.Where}, found more", reader.Offset);
        if (dim < 0) throw reader.Fail($"dims of zero or more in {reader.Where}, found {dim}", reader.Offset);
        dims.Add(dim);
    }

    private static void SetData(ref ProtobufReader reader, ref OnnxTensorStorage storage, OnnxTensorStorage kind, ReadOnlySpan<byte> bytes, out long length)
    {
        if (storage != OnnxTensorStorage.None)
            throw reader.Fail($"one data field per tensor, found {kind} after {storage}", reader.Offset);
        storage = kind;
        length = bytes.Length;
    }

    private static long CountVarints(ref ProtobufReader reader, ReadOnlySpan<byte> bytes, long offset)
    {
        if (bytes.Length > 0 && bytes[^1] >= 0x80)
            throw reader.Fail("packed varints that end with a final byte, found a truncated varint", offset + bytes.Length - 1);
        long count = 0;
        foreach (byte b in bytes) if (b < 0x80) count++;
        return count;
    }

    private static long ElementCount(ref ProtobufReader reader, long[] dims, string name, long at)
    {
        long count = 1;
        foreach (long d in dims)
        {
            if (d != 0 && count > long.MaxValue / d)
                throw reader.Fail($"tensor '{name}' dims whose product fits 64 bits, found [{string.Join(", ", dims)}]", at);
            count *= d;
        }
        return count;
    }

    private static void CheckLength(ref ProtobufReader reader, string name, OnnxDataType type, long[] dims, long count,
        OnnxTensorStorage storage, long length, long valueCount, long at)
    {
        string shape = $"'{name}' ({type} [{string.Join(", ", dims)}])";
        long expected;
        switch (storage)
        {
            case OnnxTensorStorage.None:
                if (count != 0 && type != OnnxDataType.String) throw reader.Fail($"tensor {shape} to hold {count} values, found no data field", at);
                return;
            case OnnxTensorStorage.Raw:
                int size = OnnxDataTypeInfo.Size(type);
                if (size == 0) throw reader.Fail($"tensor {shape} of a fixed-size element type in raw_data, found data_type {(int)type}", at);
                expected = count * size;
                break;
            case OnnxTensorStorage.FloatData:
                if (type is not (OnnxDataType.Float or OnnxDataType.Complex64)) throw reader.Fail($"float_data only in FLOAT tensors, found it in {shape}", at);
                expected = count * (type == OnnxDataType.Complex64 ? 8 : 4);
                break;
            case OnnxTensorStorage.DoubleData:
                expected = count * 8;
                break;
            default:
                if (valueCount != count) throw reader.Fail($"tensor {shape} to hold {count} values in {storage}, found {valueCount}", at);
                return;
        }
        if (length != expected) throw reader.Fail($"tensor {shape} to hold {expected} bytes in {storage}, found {length}", at);
    }

    private static OnnxValueInfo ReadValueInfo(ref ProtobufReader reader)
    {
        string name = "";
        var elementType = OnnxDataType.Undefined;
        var dims = new List<long?>();
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            if (field == 1 && wire == WireType.LengthDelimited) name = reader.ReadString("name");
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                var type = reader.ReadMessage($"{reader.Where}.type");
                while (!type.End)
                {
                    int typeField = type.ReadTag(out var typeWire);
                    if (typeField != 1 || typeWire != WireType.LengthDelimited) { type.Skip(typeField, typeWire); continue; }
                    var tensor = type.ReadMessage($"{reader.Where}.type.tensor_type");
                    ReadTensorType(ref tensor, ref elementType, dims);
                }
            }
            else reader.Skip(field, wire);
        }
        return new OnnxValueInfo(name, elementType, [.. dims]);
    }

    private static void ReadTensorType(ref ProtobufReader reader, ref OnnxDataType elementType, List<long?> dims)
    {
        while (!reader.End)
        {
            int field = reader.ReadTag(out var wire);
            if (field == 1 && wire == WireType.Varint) elementType = (OnnxDataType)reader.ReadInt32("elem_type");
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                var shape = reader.ReadMessage($"{reader.Where}.shape");
                while (!shape.End)
                {
                    int shapeField = shape.ReadTag(out var shapeWire);
                    if (shapeField != 1 || shapeWire != WireType.LengthDelimited) { shape.Skip(shapeField, shapeWire); continue; }
                    if (dims.Count >= MaxDims) throw shape.Fail($"at most {MaxDims} dims, found more", shape.Offset);
                    var dim = shape.ReadMessage($"{reader.Where}.shape.dim[{dims.Count}]");
                    long? value = null;
                    while (!dim.End)
                    {
                        int dimField = dim.ReadTag(out var dimWire);
                        if (dimField == 1 && dimWire == WireType.Varint) value = dim.ReadInt64("dim_value");
                        else dim.Skip(dimField, dimWire);
                    }
                    dims.Add(value);
                }
            }
            else reader.Skip(field, wire);
        }
    }
}
