// Checks the fp16 and bf16 bit conversions against System.Half / ggml's formulas, scalar and vector, including
// ties, overflow, subnormals and NaN; not the row kernels.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class HalfConversionTests
{
    [Fact]
    public void Fp16ToSingle_AllHalves_MatchSystemHalf()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = Fp16Bits.ToSingle((ushort)bits);
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(4097)]
    public unsafe void AreFinite_FindsTheOneInfinityOrNaN_AnywhereInARow(int count)
    {
        var halves = new ushort[count];
        var random = new Random(count);
        for (int i = 0; i < count; i++) halves[i] = (ushort)(random.Next(0, 0x7C00) | (random.Next(2) << 15)); // every finite kind, zero and subnormals too
        fixed (ushort* p = halves)
        {
            Assert.True(Fp16Bits.AreFinite(p, count));
            foreach (int at in new[] { 0, count / 2, count - 1 })
                foreach (ushort special in new ushort[] { 0x7C00, 0xFC00, 0x7E00, 0x7C01 })
                {
                    ushort kept = halves[at];
                    halves[at] = special;
                    Assert.False(Fp16Bits.AreFinite(p, count), $"0x{special:X4} at {at} of {count}");
                    halves[at] = kept;
                }
        }
    }

    [Fact]
    public void Fp16ToSingle_Vectors_MatchScalar()
    {
        for (int start = 0; start <= ushort.MaxValue; start += 16)
        {
            Vector512<uint> bits = Vector512.CreateSequence((uint)start, 1u);
            Vector512<float> wide = Fp16Bits.ToSingle(bits);
            Vector512<float> widened = Fp16Bits.Widen(Vector512.Narrow(bits, bits).GetLower());
            Vector256<float> middle = Fp16Bits.ToSingle(bits.GetLower());
            Vector256<float> widenedAvx2 = Fp16Bits.WidenFinite(Vector256.Narrow(bits.GetLower(), bits.GetLower()).GetLower());
            Vector128<float> narrow = Fp16Bits.ToSingle(bits.GetLower().GetLower());
            for (int i = 0; i < 16; i++)
            {
                uint expected = BitConverter.SingleToUInt32Bits(Fp16Bits.ToSingle((ushort)(start + i)));
                Assert.Equal(expected, wide.AsUInt32()[i]);
                Assert.Equal(expected, widened.AsUInt32()[i]);
                if (i < 8)
                {
                    Assert.Equal(expected, middle.AsUInt32()[i]);
                    bool finite = ((start + i) & 0x7C00) != 0x7C00;
                    if (finite) Assert.Equal(expected, widenedAvx2.AsUInt32()[i]);
                }

                if (i < 4)
                {
                    Assert.Equal(expected, narrow.AsUInt32()[i]);
                }
            }
        }
    }

    [Fact]
    public void ToSinglePair_EveryHalfInEitherPlace_MatchesToSingleBitForBit()
    {
        // Partners of every kind: zeros, a subnormal, normals at both ends, infinities and NaNs, either sign.
        ushort[] partners = [0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01];
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            uint expected = BitConverter.SingleToUInt32Bits(Fp16Bits.ToSingle((ushort)bits));
            foreach (ushort partner in partners)
            {
                uint partnerBits = BitConverter.SingleToUInt32Bits(Fp16Bits.ToSingle(partner));
                Vector128<uint> low = Fp16Bits.ToSinglePair((uint)bits | ((uint)partner << 16)).AsUInt32();
                Vector128<uint> high = Fp16Bits.ToSinglePair(partner | ((uint)bits << 16)).AsUInt32();
                Assert.True(low[0] == expected && low[1] == partnerBits && low[2] == 0 && low[3] == 0, $"0x{bits:X4} low beside 0x{partner:X4}");
                Assert.True(high[1] == expected && high[0] == partnerBits && high[2] == 0 && high[3] == 0, $"0x{bits:X4} high beside 0x{partner:X4}");
            }
        }
    }

    [Fact]
    public void WidenNormal_EveryNormalHalfAndZero_MatchesToSingle()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        for (int start = 0; start <= ushort.MaxValue; start += 16)
        {
            Vector256<ushort> halves = Vector256.CreateSequence((ushort)start, (ushort)1);
            Vector512<float> widened = Fp16Bits.WidenNormal(halves);
            for (int i = 0; i < 16; i++)
            {
                ushort h = (ushort)(start + i);
                int exponent = (h >> 10) & 0x1F;
                if (exponent == 31 || (exponent == 0 && (h & 0x3FF) != 0)) continue; // what AreNormal keeps away
                Assert.Equal(BitConverter.SingleToUInt32Bits(Fp16Bits.ToSingle(h)), widened.AsUInt32()[i]);
            }
        }
    }

    [Fact]
    public void WidenNormalScaledDown_TimesScaledFactor_GivesTheExactProductBits()
    {
        // Attention multiplies keys by queries (fused) and values by probabilities (unfused) with the factor scaled up by
        // 2^112 instead of the half scaled back: every normal half against factors from tiny to the largest an F16-rounded
        // query can be, with accumulators of both signs, must give the same bits as the exact widening.
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        float[] factors = [1f, -0.3337f, 5.96e-8f, 6.1e-5f, 0.999f, 65504f, -65504f, 1234.5f, 3.1e-3f];
        float[] accumulators = [0f, 1.5f, -7.25e-3f, 3.3e6f];
        for (int start = 0; start <= ushort.MaxValue; start += 16)
        {
            Vector256<ushort> halves = Vector256.CreateSequence((ushort)start, (ushort)1);
            Vector512<float> exact = Fp16Bits.Widen(halves), scaledDown = Fp16Bits.WidenNormalScaledDown(halves);
            foreach (float factor in factors)
            {
                Vector512<float> f = Vector512.Create(factor), scaledUp = Vector512.Create(factor * Fp16Bits.NormalScale);
                Vector512<uint> product = (exact * f).AsUInt32(), scaledProduct = (scaledDown * scaledUp).AsUInt32();
                foreach (float acc in accumulators)
                {
                    Vector512<float> a = Vector512.Create(acc);
                    Vector512<uint> fused = Avx512F.FusedMultiplyAdd(exact, f, a).AsUInt32();
                    Vector512<uint> scaledFused = Avx512F.FusedMultiplyAdd(scaledDown, scaledUp, a).AsUInt32();
                    for (int i = 0; i < 16; i++)
                    {
                        ushort h = (ushort)(start + i);
                        int exponent = (h >> 10) & 0x1F;
                        if (exponent is 0 or 31) continue; // what AreNormal keeps away
                        Assert.Equal(product[i], scaledProduct[i]);
                        Assert.Equal(fused[i], scaledFused[i]);
                    }
                }
            }
        }
    }

    [Fact]
    public unsafe void AreNormal_EachHalfAlone_MatchesReference()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        // Every half value at every place of a 48-half row of normal ones (a 32-half chunk and a 16-half tail).
        var row = new ushort[48];
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            Array.Fill(row, (ushort)0x3C00);
            row[bits % 48] = (ushort)bits;
            fixed (ushort* p = row)
                Assert.Equal(Fp16Bits.AreNormalReference(row), Fp16Bits.AreNormal(p, row.Length));
        }
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    [InlineData(80)]
    [InlineData(4096)]
    [InlineData(4112)]
    public unsafe void AreNormal_RandomRows_MatchReference(int count)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) return;
        var random = new Random(count);
        var row = new ushort[count];
        ushort[] specials = [0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x7E00, 0x0400, 0x7BFF, 0xFBFF];
        for (int trial = 0; trial < 200; trial++)
        {
            for (int i = 0; i < count; i++) row[i] = (ushort)(random.Next(0x0400, 0x7C00) | (random.Next(2) << 15));
            if (trial % 2 == 1) row[random.Next(count)] = specials[random.Next(specials.Length)];
            fixed (ushort* p = row)
                Assert.Equal(Fp16Bits.AreNormalReference(row), Fp16Bits.AreNormal(p, count));
        }
    }

    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(65504f, 0x7BFF)]                 // largest half
    [InlineData(65519.996f, 0x7BFF)]             // just below the rounding edge to infinity
    [InlineData(65520f, 0x7C00)]                 // ties to even: rounds up to infinity
    [InlineData(1e10f, 0x7C00)]
    [InlineData(-1e10f, 0xFC00)]
    [InlineData(1.00048828125f, 0x3C00)]         // 1 + 2^-11: tie, stays on the even 1.0
    [InlineData(1.00146484375f, 0x3C02)]         // 1 + 3*2^-11: tie, rounds up to the even 1 + 2^-9
    [InlineData(5.9604645e-8f, 0x0001)]          // smallest subnormal
    [InlineData(2.9802322e-8f, 0x0000)]          // half of it: tie to even zero
    [InlineData(8.940697e-8f, 0x0002)]           // 1.5 subnormal steps: tie to even 2
    [InlineData(-0.0f, 0x8000)]
    [InlineData(float.PositiveInfinity, 0x7C00)]
    [InlineData(float.NaN, 0xFE00)]              // .NET's NaN has the sign bit set; ggml keeps the sign
    public void Fp16FromSingle_EdgeCases(float value, int expected)
    {
        Assert.Equal((ushort)expected, Fp16Bits.FromSingle(value));
        Assert.Equal((ushort)expected, (ushort)Fp16Bits.FromSingle(Vector128.Create(value))[0]);
        Assert.Equal((ushort)expected, (ushort)Fp16Bits.FromSingle(Vector256.Create(value))[0]);
        Assert.Equal((ushort)expected, (ushort)Fp16Bits.FromSingle(Vector512.Create(value))[0]);
    }

    [Fact]
    public void Fp16FromSingle_RandomFloats_MatchSystemHalfAndVectors()
    {
        var random = new Random(21);
        for (int n = 0; n < 200_000; n++)
        {
            // Random bits cover every exponent; keep them out of NaN where System.Half keeps payloads and ggml does not.
            float value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (float.IsNaN(value))
            {
                continue;
            }

            ushort expected = BitConverter.HalfToUInt16Bits((Half)value);
            Assert.Equal(expected, Fp16Bits.FromSingle(value));
            Assert.Equal(expected, (ushort)Fp16Bits.FromSingle(Vector512.Create(value))[7]);
        }
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]            // 1 + 2^-8: tie, stays on the even 1.0
    [InlineData(1.01171875f, 0x3F82)]            // 1 + 3*2^-8: tie, rounds up to even
    [InlineData(3.4028235e38f, 0x7F80)]          // float max rounds to infinity
    [InlineData(float.NegativeInfinity, 0xFF80)]
    public void Bf16FromSingle_RoundsToNearestEven(float value, int expected)
    {
        Assert.Equal((ushort)expected, Bf16Bits.FromSingle(value));
        Assert.Equal((ushort)expected, (ushort)Bf16Bits.FromSingle(Vector512.Create(value))[3]);
        Assert.Equal((ushort)expected, (ushort)Bf16Bits.FromSingle(Vector256.Create(value))[3]);
        Assert.Equal((ushort)expected, (ushort)Bf16Bits.FromSingle(Vector128.Create(value))[3]);
    }

    [Theory]
    [InlineData(0x7F800001u, 0x7FC0)]            // signalling NaN whose payload would truncate to infinity: forced quiet
    [InlineData(0xFFC00000u, 0xFFC0)]
    [InlineData(0x7FFFFFFFu, 0x7FFF)]            // no rounding carry into the sign
    public void Bf16FromSingle_KeepsNaNsQuiet(uint bits, int expected)
    {
        float value = BitConverter.UInt32BitsToSingle(bits);
        Assert.Equal((ushort)expected, Bf16Bits.FromSingle(value));
        Assert.Equal((ushort)expected, (ushort)Bf16Bits.FromSingle(Vector128.Create(value))[0]);
    }

    [Fact]
    public void Bf16FromSingle_RandomFloats_VectorsMatchScalar()
    {
        var random = new Random(22);
        for (int n = 0; n < 100_000; n++)
        {
            float value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            ushort expected = Bf16Bits.FromSingle(value);
            Assert.Equal(expected, (ushort)Bf16Bits.FromSingle(Vector512.Create(value))[5]);
            Assert.Equal(expected, (ushort)Bf16Bits.FromSingle(Vector256.Create(value))[5]);
            Assert.Equal(expected, (ushort)Bf16Bits.FromSingle(Vector128.Create(value))[1]);
        }
    }
}
