// One tensor's entry in a safetensors header (name, dtype, shape, byte range).
namespace Quill.Formats.Safetensors;

/// <summary>
/// A tensor described by a safetensors header. <paramref name="Shape"/> is row-major, outermost first, as in the file
/// (the reverse of ggml's order). [<paramref name="Begin"/>, <paramref name="End"/>) is relative to the first byte after the header.
/// </summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    /// <summary>The product of the dimensions (1 for a scalar, shape []).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape) count *= dim;
            return count;
        }
    }

    public override string ToString() => $"{Name} {SafetensorsDTypeInfo.Name(DType)} [{string.Join(", ", Shape)}] bytes {Begin}..{End}";
}
