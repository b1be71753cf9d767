// The K-quant formats and their kernels, listed for the lead's dispatch table; not the dispatch table itself.
namespace Quill.Tensors.Quantization;

/// <summary>One row per K-quant type: its block geometry and kernels. Weight types pair with Q8_K activations.</summary>
internal static class KQuantFormats
{
    /// <summary>
    /// Every K-quant type with its dequantizer and, for weight types, its dot product against Q8_K activation blocks
    /// (null for Q8_K itself, which is the activation side: quantize with <see cref="Q8KBlock.Quantize"/>).
    /// </summary>
    internal static IEnumerable<(GgmlType Type, int BlockBytes, Action<ReadOnlySpan<byte>, Span<float>> Dequantize,
        Func<ReadOnlySpan<byte>, ReadOnlySpan<byte>, float>? DotQ8K)> All()
    {
        yield return (GgmlType.Q2_K, Q2KBlock.BlockBytes, Q2KBlock.Dequantize, Q2KBlock.Dot);
        yield return (GgmlType.Q3_K, Q3KBlock.BlockBytes, Q3KBlock.Dequantize, Q3KBlock.Dot);
        yield return (GgmlType.Q4_K, Q4KBlock.BlockBytes, Q4KBlock.Dequantize, Q4KBlock.Dot);
        yield return (GgmlType.Q5_K, Q5KBlock.BlockBytes, Q5KBlock.Dequantize, Q5KBlock.Dot);
        yield return (GgmlType.Q6_K, Q6KBlock.BlockBytes, Q6KBlock.Dequantize, Q6KBlock.Dot);
        yield return (GgmlType.Q8_K, Q8KBlock.BlockBytes, Q8KBlock.DequantizeReference, null);
    }
}
