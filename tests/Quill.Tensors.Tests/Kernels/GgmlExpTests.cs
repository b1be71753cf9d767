// ggml's vector e^x (both x86 forms), SwiGLU and the attention softmax against their scalar twins bit for bit, on odd
// sizes and at the edges of e^x's range; e^x also against the true value.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Kernels;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Kernels;

public class GgmlExpTests
{
    public static TheoryData<int> Sizes => new() { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 300, 4097 };

    private static float[] Inputs()
    {
        var values = new List<float> { 0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 88f, 88.5f, 88.72f, 88.8f, 89f, -87.3f, -87.4f, -88f, -100f, -103.9f,
            -104f, -130f, -140f, -200f, 200f, 1000f, -1000f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue };
        var random = new Random(11);
        for (int i = 0; i < 20000; i++) values.Add((float)(random.NextDouble() * 220 - 120));
        for (int i = 0; i < 4000; i++) values.Add((float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-30, 4))));
        // Around the thresholds where the AVX2 form switches its scaling (|n| = 126) and where both saturate (|n| = 192).
        foreach (float edge in new[] { 126f, 127f, 192f, 193f })
            for (int i = -40; i <= 40; i++) values.Add(edge * MathF.Log(2) * (1 + i * 1e-4f) * (i % 2 == 0 ? 1 : -1));
        while (values.Count % 16 != 0) values.Add(0.5f);
        return values.ToArray();
    }

    [Fact]
    public void Avx512FormIsItsScalarTwin()
    {
        if (!Avx512F.IsSupported) return;
        float[] x = Inputs();
        for (int i = 0; i < x.Length; i += 16)
        {
            Vector512<float> e = GgmlExp.Exp(Vector512.Create(x.AsSpan(i, 16)));
            for (int l = 0; l < 16; l++)
                Assert.True(BitConverter.SingleToUInt32Bits(GgmlExp.ExpAvx512Form(x[i + l])) == BitConverter.SingleToUInt32Bits(e[l]),
                    $"exp({x[i + l]:R}): vector {e[l]:R}, scalar {GgmlExp.ExpAvx512Form(x[i + l]):R}");
        }
    }

    [Fact]
    public void Avx2FormIsItsScalarTwin()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        float[] x = Inputs();
        for (int i = 0; i < x.Length; i += 8)
        {
            Vector256<float> e = GgmlExp.Exp(Vector256.Create(x.AsSpan(i, 8)));
            for (int l = 0; l < 8; l++)
                Assert.True(BitConverter.SingleToUInt32Bits(GgmlExp.ExpAvx2Form(x[i + l])) == BitConverter.SingleToUInt32Bits(e[l]),
                    $"exp({x[i + l]:R}): vector {e[l]:R}, scalar {GgmlExp.ExpAvx2Form(x[i + l]):R}");
        }
    }

    [Fact]
    public void BothFormsAreWithinTwoUlpOfTheTrueValue()
    {
        var random = new Random(12);
        int formsDiffer = 0;
        for (int i = 0; i < 50000; i++)
        {
            float x = (float)(random.NextDouble() * 175 - 87);
            float exact = (float)Math.Exp(x);
            foreach (float e in new[] { GgmlExp.ExpAvx512Form(x), GgmlExp.ExpAvx2Form(x) })
                Assert.True(Math.Abs(BitConverter.SingleToInt32Bits(e) - BitConverter.SingleToInt32Bits(exact)) <= 2, $"exp({x:R}) = {exact:R}, got {e:R}");
            if (GgmlExp.ExpAvx512Form(x) != GgmlExp.ExpAvx2Form(x)) formsDiffer++;
        }
        // The two forms are not the same function: a machine must use the one its llama.cpp build uses.
        Assert.True(formsDiffer > 0);
        Assert.Equal(0f, GgmlExp.ExpAvx512Form(-200f));
        Assert.Equal(float.PositiveInfinity, GgmlExp.ExpAvx2Form(200f));
        Assert.True(float.IsNaN(GgmlExp.ExpAvx512Form(float.NaN)) && float.IsNaN(GgmlExp.ExpAvx2Form(float.NaN)));
    }

    [Theory, MemberData(nameof(Sizes))]
    public void SwiGluIsItsReferenceAtEveryWidth(int n)
    {
        foreach (SimdWidth width in SimdCapability.Supported())
        {
            var random = new Random(n);
            float[] gate = new float[n], up = new float[n];
            for (int i = 0; i < n; i++)
            {
                gate[i] = (float)((random.NextDouble() * 2 - 1) * 12);
                up[i] = (float)(random.NextDouble() * 2 - 1);
            }
            var expected = (float[])gate.Clone();
            SwiGlu.Reference(expected, up, width);
            SwiGlu.Forward(gate, up, width);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(gate[i]),
                    $"{width} [{i}]: {expected[i]:R} vs {gate[i]:R}");
        }
    }

    [Fact]
    public void SwiGluRefusesRowsOfDifferentLengths() =>
        Assert.ThrowsAny<ArgumentException>(() => SwiGlu.Forward(new float[17], new float[16]));

    [Theory, MemberData(nameof(Sizes))]
    public unsafe void SoftmaxIsItsReferenceAtEveryWidthAndAlignment(int n)
    {
        foreach (SimdWidth width in SimdCapability.Supported())
        {
            foreach (int lead in new[] { 0, 3, 8, 15 })
            {
                var random = new Random(n + lead);
                float[] row = new float[n];
                for (int i = 0; i < n; i++) row[i] = (float)((random.NextDouble() * 2 - 1) * 20);
                var expected = (float[])row.Clone();
                fixed (float* e = expected) GgmlSoftmax.Reference(e, n, lead, width);
                fixed (float* r = row) GgmlSoftmax.Row(r, n, lead, width);
                double total = 0;
                for (int i = 0; i < n; i++)
                {
                    Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(row[i]),
                        $"{width} lead {lead} [{i}]: {expected[i]:R} vs {row[i]:R}");
                    total += row[i];
                }
                Assert.InRange(total, 1 - 1e-5, 1 + 1e-5);
            }
        }
    }
}
