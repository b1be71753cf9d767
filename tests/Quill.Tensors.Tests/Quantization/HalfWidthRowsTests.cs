// The F16/BF16 four-row decode kernels (plain and over pre-scaled F16 activations) against the row dot they must equal bit for bit, on odd sizes.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public sealed unsafe class HalfWidthRowsTests
{
    public static TheoryData<GgmlType, int> Sizes()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
            foreach (int k in new[] { 1, 15, 16, 31, 32, 33, 48, 768, 4097 })
                data.Add(type, k);
        return data;
    }

    [Theory, MemberData(nameof(Sizes))]
    public void EachRowEqualsTheRowDotAndIsNearTheReference(GgmlType type, int k)
    {
        var format = QuantFormats.Get(type);
        if (format.Rows is not { } rows) return; // only where the row dot runs at 512 bits
        int rowBytes = format.RowBytes(k);
        float[] weightsAsFloats = KQuantTestData.RandomFloats(4 * k, seed: k);
        var weights = new byte[rowBytes * 4];
        for (int r = 0; r < 4; r++)
            format.Quantize!(weightsAsFloats.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        float[] x = KQuantTestData.RandomFloats(k, seed: 3 * k + 1);
        var y = new float[4];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* py = y)
            rows(w, rowBytes, 2, (byte*)px, k, py);

        ReadOnlySpan<byte> activations = MemoryMarshal.AsBytes(x.AsSpan());
        for (int r = 0; r < 4; r++)
        {
            ReadOnlySpan<byte> row = weights.AsSpan(r * rowBytes, rowBytes);
            float dot = format.Dot(row, activations), reference = format.DotReference(row, activations);
            Assert.True(y[r].Equals(dot), $"{type} K={k} row {r}: four-row kernel {y[r]:R}, row dot {dot:R}");
            Assert.True(Math.Abs(y[r] - reference) <= QuantTolerances.DotRelative * (1 + Math.Abs(reference)) * Math.Sqrt(k),
                $"{type} K={k} row {r}: four-row kernel {y[r]:R}, reference {reference:R}");
        }
    }

    // The AVX-512 F16 decode kernel over activations packed as x·2^112 beside x: bit for bit the 512-bit row dot, also
    // where a scaled activation overflows (|x| ≥ 2^16), an activation is NaN, or a weight is infinite.
    [Theory]
    [InlineData(1, 0f, false)]
    [InlineData(31, 0f, false)]
    [InlineData(33, 0f, true)]
    [InlineData(48, 70000f, false)]
    [InlineData(1056, -65536f, false)]
    [InlineData(1056, 65535f, false)]
    [InlineData(4097, float.NaN, false)]
    [InlineData(4097, 1e-40f, true)]
    [InlineData(4127, 0f, false)]
    public void ScaledF16DecodeEqualsThe512BitRowDotBitForBit(int k, float special, bool withInfinity)
    {
        if (!HalfWidthRows<Fp16Float>.IsSupported || !Avx512F.IsSupported) return;
        var format = QuantFormats.Get(GgmlType.F16);
        int rowBytes = format.RowBytes(k);
        float[] values = KQuantTestData.RandomFloats(4 * k, seed: k + 11);
        values[0] = 3e-6f; // an F16 subnormal
        if (withInfinity) values[3 * k + k / 2] = float.PositiveInfinity; // row 3
        var weights = new byte[4 * rowBytes];
        for (int r = 0; r < 4; r++) format.Quantize!(values.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        float[] x = KQuantTestData.RandomFloats(k, seed: 7 * k + 1);
        if (special != 0f) x[k / 3] = special;
        var packed = new float[2 * k];
        var decoded = new float[4];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* pp = packed)
        fixed (float* o = decoded)
        {
            F16Decode.Pack((byte*)px, 0, 1, k, (byte*)pp);
            F16Decode.RowsAvx512(w, rowBytes, 1, (byte*)pp, k, o);
        }
        for (int r = 0; r < 4; r++)
        {
            float dot = F16Row.Dot(weights.AsSpan(r * rowBytes, rowBytes), MemoryMarshal.AsBytes(x.AsSpan()), SimdWidth.Vector512);
            Assert.True(dot.Equals(decoded[r]), $"K={k} row {r}: 512-bit row dot {dot:R}, F16 decode {decoded[r]:R}");
        }
    }
}
