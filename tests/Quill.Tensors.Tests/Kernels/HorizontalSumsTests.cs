// The sixteen-at-once horizontal sums against Vector512.Sum, bit for bit, on values of every magnitude and sign.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Kernels;

public class HorizontalSumsTests
{
    [Fact]
    public void SixteenEqualsVector512SumOfEach()
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
                Assert.Equal(BitConverter.SingleToUInt32Bits(Vector512.Sum(v[i])), BitConverter.SingleToUInt32Bits(sums[i]));
        }
    }
}
