// The F16 decode kernels over pre-scaled activations (F16Decode, AVX2 and AVX-512) against the row dot of their width, bit for bit.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public sealed unsafe class F16DecodeTests
{
    public static TheoryData<int, int, float, bool> Cases()
    {
        var data = new TheoryData<int, int, float, bool>();
        (int K, float Special, bool WithInfinity)[] cases =
        [
            (1, 0f, false), (31, 0f, false), (33, 0f, true), (40, 70000f, false), (48, 70000f, false), (1056, -65536f, false),
            (1056, 65535f, false), (4097, float.NaN, false), (4097, 1e-40f, true), (4127, 0f, true),
        ];
        foreach (int bits in new[] { 256, 512 })
            foreach ((int k, float special, bool withInfinity) in cases)
                data.Add(bits, k, special, withInfinity);
        return data;
    }

    // Over activations packed as x·2^112 beside x: the row dot's bits, also where a scaled activation overflows
    // (|x| ≥ 2^16), an activation is NaN or subnormal, or a weight is infinite (row 2 mid-row, row 3 in the tail).
    [Theory, MemberData(nameof(Cases))]
    public void EqualsTheRowDotOfItsWidthBitForBit(int bits, int k, float special, bool withInfinity) =>
        Check(bits, k, special, withInfinity, interleave: false);

    public static TheoryData<int, float, bool> InterleavedCases() => new()
    {
        { 32, 0f, false }, { 64, 0f, true }, { 1056, -65536f, false }, { 2048, 1e-40f, true },
    };

    // The four rows as load-time interleaved groups (32 halves of each row in turn): the same bits, the exact path included.
    [Theory, MemberData(nameof(InterleavedCases))]
    public void InterleavedGroupsGiveTheRowDotsBits(int k, float special, bool withInfinity) =>
        Check(512, k, special, withInfinity, interleave: true);

    private static void Check(int bits, int k, float special, bool withInfinity, bool interleave)
    {
        SimdWidth width = bits == 512 ? SimdWidth.Vector512 : SimdWidth.Vector256;
        RowsDot? rows = width == SimdWidth.Vector512
            ? (HalfWidthRows<Fp16Float>.IsSupported && Avx512F.IsSupported ? F16Decode.RowsAvx512 : null)
            : (Avx2.IsSupported && Fma.IsSupported ? F16Decode.Rows : null);
        if (rows is null) return;
        var format = QuantFormats.Get(GgmlType.F16);
        int rowBytes = format.RowBytes(k);
        float[] values = KQuantTestData.RandomFloats(4 * k, seed: k + 7);
        values[Math.Min(3, k - 1)] = 3e-6f; // an F16 subnormal
        if (withInfinity)
        {
            values[2 * k + k / 2] = float.NegativeInfinity;
            values[4 * k - 1] = float.PositiveInfinity;
        }
        var weights = new byte[4 * rowBytes];
        for (int r = 0; r < 4; r++) format.Quantize!(values.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        float[] x = KQuantTestData.RandomFloats(k, seed: 5 * k + 3);
        if (special != 0f) x[k / 3] = special;
        var packed = new float[2 * k];
        var decoded = new float[4];
        byte[] laid = interleave ? HalfWidthRowsTests.Interleaved(GgmlType.F16, weights, k) : weights;
        fixed (byte* w = laid)
        fixed (float* px = x)
        fixed (float* pp = packed)
        fixed (float* o = decoded)
        {
            F16Decode.Pack((byte*)px, 0, 1, k, (byte*)pp);
            if (interleave) rows(w, 64, 256, (byte*)pp, k, o);
            else rows(w, rowBytes, 64, (byte*)pp, k, o);
        }
        Assert.Equal(x, packed.AsSpan(k).ToArray());
        for (int r = 0; r < 4; r++)
        {
            float dot = F16Row.Dot(weights.AsSpan(r * rowBytes, rowBytes), MemoryMarshal.AsBytes(x.AsSpan()), width);
            Assert.True(dot.Equals(decoded[r]), $"{width} K={k} row {r}: row dot {dot:R}, F16 decode {decoded[r]:R}");
        }
    }
}
