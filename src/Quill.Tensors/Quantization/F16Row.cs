// ggml's F16 rows (IEEE half) as weights dotted with F32 activations, expanded to and rounded from floats bit-exact with ggml; the loops are HalfWidthRow's.
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>F16: one little-endian 16-bit IEEE half per element. Activations for the dot are F32 (the bytes of a float[]).</summary>
public static class F16Row
{
    /// <summary>Scalar F16 to F32 (exact).</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> source, Span<float> destination) =>
        HalfWidthRow<Fp16Float>.DequantizeReference(source, destination);

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) =>
        HalfWidthRow<Fp16Float>.Dequantize(source, destination, SimdCapability.Best);

    internal static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination, SimdWidth width) =>
        HalfWidthRow<Fp16Float>.Dequantize(source, destination, width);

    /// <summary>Scalar F32 to F16, to nearest even with overflow to infinity and NaN to 0x7E00 (GGML_FP32_TO_FP16).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> destination) =>
        HalfWidthRow<Fp16Float>.QuantizeReference(source, destination);

    /// <summary>SIMD <see cref="QuantizeReference"/>, identical bytes.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) =>
        HalfWidthRow<Fp16Float>.Quantize(source, destination, SimdCapability.Best);

    internal static void Quantize(ReadOnlySpan<float> source, Span<byte> destination, SimdWidth width) =>
        HalfWidthRow<Fp16Float>.Quantize(source, destination, width);

    /// <summary>Scalar dot of a F16 weight row with F32 activations: float products summed in double (ggml_vec_dot_f16's order).</summary>
    public static float DotReference(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow) =>
        HalfWidthRow<Fp16Float>.DotReference(weightRow, activationRow);

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow) =>
        HalfWidthRow<Fp16Float>.Dot(weightRow, activationRow, SimdCapability.Best);

    internal static float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, SimdWidth width) =>
        HalfWidthRow<Fp16Float>.Dot(weightRow, activationRow, width);
}
