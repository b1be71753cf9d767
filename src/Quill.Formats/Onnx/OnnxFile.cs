// An open ONNX model file: its graph (nodes, initializers, inputs, outputs) over a read-only map, typed tensor reads; external-data files are not read.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Quill.Formats.Onnx;

/// <summary>
/// An ONNX ModelProto, memory-mapped. <see cref="Open"/> decodes the protobuf structure and checks every tensor's data
/// range; raw_data and float_data stay in the map and are handed out as spans (valid until <see cref="Dispose"/>).
/// Constant nodes' values are exposed like initializers through <see cref="FindTensor"/>.
/// </summary>
public sealed unsafe class OnnxFile : IDisposable
{
    private readonly ReadOnlyFileMap _map;
    private readonly Dictionary<string, OnnxTensorInfo> _tensors = new(StringComparer.Ordinal);

    private OnnxFile(ReadOnlyFileMap map, OnnxModel model)
    {
        _map = map;
        IrVersion = model.IrVersion;
        ProducerName = model.ProducerName;
        ProducerVersion = model.ProducerVersion;
        Opsets = model.Opsets.AsReadOnly();
        Nodes = model.Nodes.AsReadOnly();
        Initializers = model.Initializers.AsReadOnly();
        Inputs = model.Inputs.AsReadOnly();
        Outputs = model.Outputs.AsReadOnly();
        foreach (var t in model.Initializers) _tensors.TryAdd(t.Name, t);
        foreach (var node in model.Nodes)
        {
            if (node.OpType != "Constant" || node.Outputs.Length != 1) continue;
            if (node.FindAttribute("value")?.Tensor is { } value) _tensors.TryAdd(node.Outputs[0], value with { Name = node.Outputs[0] });
        }
    }

    /// <summary>Maps and decodes an ONNX file. Throws <see cref="ModelFormatException"/> for any malformation.</summary>
    public static OnnxFile Open(string path)
    {
        var map = ReadOnlyFileMap.Open(path);
        try
        {
            string name = System.IO.Path.GetFileName(path);
            if (map.Length > int.MaxValue)
                throw new ModelFormatException($"{name}: expected an ONNX file under 2 GiB (protobuf's limit), found {map.Length} bytes; larger models keep " +
                    $"weights in external data, which Quill does not read");
            var model = OnnxModelReader.Read(new ReadOnlySpan<byte>(map.Pointer, (int)map.Length), name);
            return new OnnxFile(map, model);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public string Path => _map.Path;
    private string FileName => System.IO.Path.GetFileName(_map.Path);

    public long IrVersion { get; }
    public string ProducerName { get; }
    public string ProducerVersion { get; }
    public IReadOnlyList<OnnxOpset> Opsets { get; }

    /// <summary>The default-domain opset version, or 0 when the file imports none.</summary>
    public long Opset => Opsets.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;

    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyList<OnnxTensorInfo> Initializers { get; }
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>An initializer, or the value of a Constant node, by the name the graph uses for it.</summary>
    public OnnxTensorInfo? FindTensor(string name) => _tensors.GetValueOrDefault(name);

    public OnnxTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new ModelFormatException($"{FileName}: expected a tensor named '{name}', found no initializer or Constant of that name");

    /// <summary>The bytes of raw_data or float_data (little-endian elements), a view over the map with no copy.</summary>
    public ReadOnlySpan<byte> GetRawData(OnnxTensorInfo tensor)
    {
        ThrowIfExternal(tensor);
        if (tensor.Storage is not (OnnxTensorStorage.Raw or OnnxTensorStorage.FloatData or OnnxTensorStorage.DoubleData or OnnxTensorStorage.None))
            throw new ModelFormatException($"{FileName}: expected tensor '{tensor.Name}' in raw_data, found {tensor.Storage}; use ReadInt64s");
        return tensor.DataLength == 0 ? default : new ReadOnlySpan<byte>(_map.Pointer + tensor.DataOffset, (int)tensor.DataLength);
    }

    /// <summary>Reads a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor as floats into <paramref name="destination"/> (its element count).</summary>
    public void ReadFloats(OnnxTensorInfo tensor, Span<float> destination)
    {
        ThrowIfExternal(tensor);
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.ElementCount} elements, the destination holds {destination.Length}",
                nameof(destination));
        switch (tensor.DataType, tensor.Storage)
        {
            case (OnnxDataType.Float, OnnxTensorStorage.Raw or OnnxTensorStorage.FloatData):
                MemoryMarshal.Cast<byte, float>(GetRawData(tensor)).CopyTo(destination);
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
                break;
            case (OnnxDataType.Float16, OnnxTensorStorage.Raw):
                var halves = GetRawData(tensor);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(halves[(2 * i)..]));
                break;
            case (OnnxDataType.Float16, OnnxTensorStorage.Int32Data):
                var bits = ReadInt64s(tensor);
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf((ushort)bits[i]);
                break;
            case (OnnxDataType.BFloat16, OnnxTensorStorage.Raw):
                var brain = GetRawData(tensor);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(brain[(2 * i)..]) << 16);
                break;
            case (OnnxDataType.Double, OnnxTensorStorage.Raw or OnnxTensorStorage.DoubleData):
                var doubles = GetRawData(tensor);
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(doubles[(8 * i)..]);
                break;
            default:
                throw new ModelFormatException($"{FileName}: expected tensor '{tensor.Name}' to hold floats, found {tensor.DataType} in {tensor.Storage}");
        }
    }

    /// <summary>A FLOAT (or FLOAT16, BFLOAT16, DOUBLE) tensor as a new float array.</summary>
    public float[] ReadFloats(OnnxTensorInfo tensor)
    {
        var result = new float[tensor.ElementCount];
        ReadFloats(tensor, result);
        return result;
    }

    /// <summary>An integer tensor (INT64, INT32, INT8, UINT8, BOOL ... in raw_data or int32/int64_data) as longs.</summary>
    public long[] ReadInt64s(OnnxTensorInfo tensor)
    {
        ThrowIfExternal(tensor);
        var result = new long[tensor.ElementCount];
        if (tensor.Storage is OnnxTensorStorage.Int32Data or OnnxTensorStorage.Int64Data)
        {
            var reader = new ProtobufReader(new ReadOnlySpan<byte>(_map.Pointer + tensor.DataOffset, (int)tensor.DataLength), tensor.DataOffset, FileName,
                $"tensor '{tensor.Name}'");
            for (int i = 0; i < result.Length; i++) result[i] = reader.ReadInt64("a value");
            return result;
        }
        var raw = GetRawData(tensor);
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = tensor.DataType switch
            {
                OnnxDataType.Int64 or OnnxDataType.UInt64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]),
                OnnxDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                OnnxDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..]),
                OnnxDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                OnnxDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                OnnxDataType.Int8 => (sbyte)raw[i],
                OnnxDataType.UInt8 or OnnxDataType.Bool => raw[i],
                _ => throw new ModelFormatException($"{FileName}: expected tensor '{tensor.Name}' to hold integers, found {tensor.DataType}"),
            };
        }
        return result;
    }

    private void ThrowIfExternal(OnnxTensorInfo tensor)
    {
        if (tensor.Storage == OnnxTensorStorage.External)
            throw new ModelFormatException($"{FileName}: expected tensor '{tensor.Name}' inside the file, found data_location = EXTERNAL (weights in a " +
                $"separate file, which Quill does not read); re-export with the weights embedded");
    }

    public void Dispose() => _map.Dispose();

    public override string ToString() => $"{Path}: ONNX ir {IrVersion}, opset {Opset}, {Nodes.Count} nodes, {Initializers.Count} initializers";
}
