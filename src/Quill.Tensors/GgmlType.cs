// The tensor element types of GGUF files, numbered exactly as ggml numbers them; not the kernels (see Quantization/).
namespace Quill.Tensors;

/// <summary>A ggml tensor type. The numeric values are the on-disk ids in GGUF tensor infos.</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    BF16 = 30,
}

/// <summary>Block geometry of each type: how many elements one block holds and how many bytes it takes.</summary>
public static class GgmlTypeInfo
{
    /// <summary>True for the types Quill can read (dequantize and multiply).</summary>
    public static bool IsSupported(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_1
            or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K
            or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K or GgmlType.Q8_1 => true,
        _ => false,
    };

    /// <summary>Elements per block (1 for plain types, 32 for Q4_0.., 256 for K-quants).</summary>
    public static int BlockSize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.I8 or GgmlType.I16 or GgmlType.I32
            or GgmlType.I64 or GgmlType.F64 => 1,
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 => Quantization.Q8_0Block.BlockSize,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K => Quantization.Q8KBlock.BlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };

    /// <summary>Bytes per block: the quantized formats' own constants (Quantization/Q*Block), whose layouts BlockLayouts pins.</summary>
    public static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.I32 => 4,
        GgmlType.F16 or GgmlType.BF16 or GgmlType.I16 => 2,
        GgmlType.I8 => 1,
        GgmlType.I64 or GgmlType.F64 => 8,
        GgmlType.Q4_0 => Quantization.Q4_0Block.BlockBytes,
        GgmlType.Q4_1 => Quantization.Q4_1Block.BlockBytes,
        GgmlType.Q5_0 => Quantization.Q5_0Block.BlockBytes,
        GgmlType.Q5_1 => Quantization.Q5_1Block.BlockBytes,
        GgmlType.Q8_0 => Quantization.Q8_0Block.BlockBytes,
        GgmlType.Q8_1 => Quantization.Q8_1Block.BlockBytes,
        GgmlType.Q2_K => Quantization.Q2KBlock.BlockBytes,
        GgmlType.Q3_K => Quantization.Q3KBlock.BlockBytes,
        GgmlType.Q4_K => Quantization.Q4KBlock.BlockBytes,
        GgmlType.Q5_K => Quantization.Q5KBlock.BlockBytes,
        GgmlType.Q6_K => Quantization.Q6KBlock.BlockBytes,
        GgmlType.Q8_K => Quantization.Q8KBlock.BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };

    /// <summary>True when the numeric value names a type this table knows.</summary>
    public static bool IsKnown(uint value) => Enum.IsDefined(typeof(GgmlType), value);

    /// <summary>Bytes taken by a row of <paramref name="elements"/> elements; the count must be a multiple of the block size.</summary>
    public static long RowBytes(GgmlType type, long elements) => elements / BlockSize(type) * BlockBytes(type);
}
