// Where one ONNX tensor's values lie in the mapped file (an initializer or a Constant node's value).
namespace Quill.Formats.Onnx;

/// <summary>Which TensorProto field holds the values.</summary>
public enum OnnxTensorStorage
{
    /// <summary>No values (an empty tensor).</summary>
    None,

    /// <summary>raw_data: little-endian elements, packed.</summary>
    Raw,

    /// <summary>float_data, packed: the same bytes as raw F32.</summary>
    FloatData,

    /// <summary>int32_data, packed varints (also holds FLOAT16, INT8, UINT8, BOOL, ... one value per varint).</summary>
    Int32Data,

    /// <summary>int64_data, packed varints.</summary>
    Int64Data,

    /// <summary>double_data, packed little-endian doubles.</summary>
    DoubleData,

    /// <summary>data_location = EXTERNAL: the values are in another file, which Quill does not read.</summary>
    External,
}

/// <summary>
/// A tensor: name, type, dims (outermost first, as ONNX writes them) and the absolute byte range of its values in the
/// file. The range was checked against the element count when the file was opened.
/// </summary>
public sealed record OnnxTensorInfo(string Name, OnnxDataType DataType, long[] Dims, OnnxTensorStorage Storage, long DataOffset, long DataLength)
{
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Dims) count *= d;
            return count;
        }
    }

    public override string ToString() => $"{Name} {DataType} [{string.Join(", ", Dims)}] {Storage} at {DataOffset}, {DataLength} bytes";
}
