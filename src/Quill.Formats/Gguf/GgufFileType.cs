// general.file_type as llama.cpp numbers it (LLAMA_FTYPE_*) for the tensor type most weights have; not a tensor type (that is GgmlType).
using Quill.Tensors;

namespace Quill.Formats.Gguf;

public static class GgufFileType
{
    /// <summary>The LLAMA_FTYPE of a file whose matrices are <paramref name="type"/>, or null where Quill knows no number for it.</summary>
    public static uint? Of(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q4_1 => 3,
        GgmlType.Q8_0 => 7,
        GgmlType.Q5_0 => 8,
        GgmlType.Q5_1 => 9,
        GgmlType.BF16 => 32,
        _ => null,
    };
}
