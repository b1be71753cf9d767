// One node of an ONNX graph and its attributes (the scalar, list and tensor kinds); subgraph attributes are skipped.
namespace Quill.Formats.Onnx;

/// <summary>AttributeProto.AttributeType.</summary>
public enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>A node attribute; only the field its <see cref="Type"/> names is meaningful.</summary>
public sealed record OnnxAttribute(string Name, OnnxAttributeType Type, float Float, long Int, string? String, OnnxTensorInfo? Tensor,
    float[] Floats, long[] Ints);

/// <summary>A NodeProto: an operator applied to named values.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes)
{
    public OnnxAttribute? FindAttribute(string name) => Array.Find(Attributes, a => a.Name == name);

    public override string ToString() => $"{OpType} {Name} ({string.Join(", ", Inputs)}) -> ({string.Join(", ", Outputs)})";
}

/// <summary>A graph input or output: name, element type and dims (null for a symbolic dim such as "batch").</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, long?[] Dims);

/// <summary>An opset_import entry ("" is the default ai.onnx domain).</summary>
public sealed record OnnxOpset(string Domain, long Version);
