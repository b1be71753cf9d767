// One tensor's entry in a GGUF header (name, type, shape, where its bytes are).
using Quill.Tensors;

namespace Quill.Formats.Gguf;

/// <summary>
/// A tensor described by a GGUF header. <paramref name="Shape"/> is in ggml order: ne0 (the contiguous, innermost
/// dimension) first. <paramref name="Offset"/> is relative to the start of the file's data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, GgmlType Type, long[] Shape, ulong Offset, long ByteLength)
{
    /// <summary>The product of the dimensions.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape) count *= dim;
            return count;
        }
    }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}] at +{Offset}, {ByteLength} bytes";
}
