// The non-K block formats against the real ggml (no-AVX build): dequantize, reference quantize and generic dot.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class LegacyNativeTests
{
    private const float DotRelative = 1e-5f;

    public static TheoryData<GgmlType, string, string> Types => new()
    {
        { GgmlType.Q8_0, "q8_0", "q8_0" },
        { GgmlType.Q4_0, "q4_0", "q8_0" },
        { GgmlType.Q4_1, "q4_1", "q8_1" },
        { GgmlType.Q5_0, "q5_0", "q8_0" },
        { GgmlType.Q5_1, "q5_1", "q8_1" },
    };

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 2 - 1) * (1 + i % 7);
        return v;
    }

    [Theory, MemberData(nameof(Types))]
    public void MatchesGgml(GgmlType type, string name, string activationName)
    {
        foreach (int n in new[] { 32, 64, 256, 512, 32 * 37, 4096 }) MatchesGgmlAt(type, name, activationName, n);
    }

    // llama.cpp's x86 builds run the AVX2 kernels; the block types' own dots must reproduce them bit for bit (see
    // GgmlX86BlockDot). Where AVX2 is the widest level, the engine's Q4_0 (QuantFormats) takes llama.cpp's repacked
    // order instead, as llama.cpp does for its Q4_0 matrices there (Q4_0Avx2Tests).
    [Theory, MemberData(nameof(Types))]
    public void DotMatchesGgmlX86BitForBit(GgmlType type, string name, string activationName)
    {
        if (!GgmlX86BlockDot.IsSupported) return;
        var format = QuantFormats.Get(type);
        var block = BlockFormatCase.Get(type.ToString());
        foreach (int n in new[] { 32, 64, 32 * 31, 32 * 33, 8192, 32 * 4097 })
        {
            var weights = new byte[format.RowBytes(n)];
            var activations = new byte[format.ActivationRowBytes(n)];
            format.Quantize!(Random(n, 3), weights);
            format.QuantizeActivations(Random(n, 4), activations);
            float expected = KNativeGgml.DotX86(name, activationName, weights, activations, n);
            Assert.NotEqual(0f, expected);
            Assert.Equal(BitConverter.SingleToInt32Bits(expected),
                BitConverter.SingleToInt32Bits(block.Dot(weights, activations, Simd.SimdCapability.Best)));
        }
    }

    private static void MatchesGgmlAt(GgmlType type, string name, string activationName, int n)
    {
        var format = QuantFormats.Get(type);
        var x = Random(n, 1);
        var ours = new byte[format.RowBytes(n)];
        var theirs = new byte[ours.Length];
        format.Quantize!(x, ours);
        KNativeGgml.QuantizeReference(name, x, theirs);
        Assert.Equal(theirs, ours);

        var expected = new float[n];
        var actual = new float[n];
        KNativeGgml.Dequantize(name, theirs, expected);
        format.DequantizeReference(theirs, actual);
        Assert.Equal(expected, actual);
        format.Dequantize(theirs, actual);
        Assert.Equal(expected, actual);

        var a = Random(n, 2);
        var activations = new byte[format.ActivationRowBytes(n)];
        var activationsGgml = new byte[activations.Length];
        format.QuantizeActivations(a, activations);
        KNativeGgml.QuantizeReference(activationName, a, activationsGgml);
        // Activations follow llama.cpp's x86 quantizer, which may differ from the _ref one only at rounding ties.
        int differing = 0;
        for (int i = 0; i < activations.Length; i++) if (activations[i] != activationsGgml[i]) differing++;
        Assert.True(differing <= activations.Length / 50, $"{differing} activation bytes differ from ggml's reference quantizer");
        float reference = KNativeGgml.DotGeneric(name, activationName, theirs, activations, n);
        Assert.Equal(reference, format.DotReference(theirs, activations), Math.Abs(reference) * DotRelative + 1e-3f);
        Assert.Equal(reference, format.Dot(theirs, activations), Math.Abs(reference) * DotRelative + 1e-3f);
    }
}
