// The halving horizontal sums, one and sixteen at once, against the scalar reference bit for bit, on values of every magnitude and sign.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Kernels;

public class HorizontalSumsTests
{
    [Fact]
    public void OneAndSixteenAreTheReferenceBitForBit()
    {
        if (!Avx512F.IsSupported) return;
        var random = new Random(5);
        var v = new Vector512<float>[16];
        for (int trial = 0; trial < 20000; trial++)
        {
            for (int i = 0; i < 16; i++)
            {
                var lanes = new float[16];
                // Magnitudes 2^-20 to 2^20 so the order of the adds shows in the rounding; now and then an infinity or NaN.
                for (int l = 0; l < 16; l++) lanes[l] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-20, 21)));
                if (trial % 97 == 0)
                    lanes[random.Next(16)] = random.Next(3) switch { 0 => float.PositiveInfinity, 1 => float.NegativeInfinity, _ => float.NaN };
                v[i] = Vector512.Create(lanes);
            }
            Vector512<float> sums = HorizontalSums.Sixteen(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                v[14], v[15]);
            for (int i = 0; i < 16; i++)
            {
                uint expected = BitConverter.SingleToUInt32Bits(HorizontalSums.Reference(Lanes(v[i])));
                Assert.Equal(expected, BitConverter.SingleToUInt32Bits(sums[i]));
                Assert.Equal(expected, BitConverter.SingleToUInt32Bits(HorizontalSums.One(v[i])));
            }
        }
    }

    [Fact]
    public void TheReferenceIsNotVector512Sum()
    {
        // .NET's own tree differs; were the two the same, the tests above could not tell the orders apart.
        var random = new Random(6);
        int differ = 0;
        for (int trial = 0; trial < 1000; trial++)
        {
            var lanes = new float[16];
            for (int l = 0; l < 16; l++) lanes[l] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-20, 21)));
            if (HorizontalSums.Reference(lanes) != Vector512.Sum(Vector512.Create(lanes))) differ++;
        }
        Assert.True(differ > 100, $"{differ} of 1000 differ");
    }

    [Fact]
    public void KQuantSumsFoldAsGgmlDoes()
    {
        // hsum_float_8: high half plus low half, then (t0 + t2) + (t1 + t3); ggml's min accumulators: (m0 + m2) + (m1 + m3).
        // Vector128.Sum adds (t0 + t1) + (t2 + t3): with it every K-quant dot sat an ulp or so from llama.cpp's.
        var random = new Random(7);
        int differ = 0;
        for (int trial = 0; trial < 20000; trial++)
        {
            var x = new float[8];
            for (int l = 0; l < 8; l++) x[l] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-20, 21)));
            float t0 = x[4] + x[0], t1 = x[5] + x[1], t2 = x[6] + x[2], t3 = x[7] + x[3];
            Assert.Equal(BitConverter.SingleToUInt32Bits((t0 + t2) + (t1 + t3)), BitConverter.SingleToUInt32Bits(KQuant.Sum(Vector256.Create(x))));
            var m = Vector128.Create(x[0], x[1], x[2], x[3]);
            float expected = (x[0] + x[2]) + (x[1] + x[3]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(KQuant.Sum(m)));
            if (expected != Vector128.Sum(m)) differ++;
        }
        Assert.True(differ > 1000, $"{differ} of 20000 differ from Vector128.Sum");
    }

    private static float[] Lanes(Vector512<float> v)
    {
        var lanes = new float[16];
        v.CopyTo(lanes);
        return lanes;
    }
}
