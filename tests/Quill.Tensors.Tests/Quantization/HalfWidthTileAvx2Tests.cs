// The AVX2 F16/BF16 decode kernel and prompt tile against the AVX2 row dot, bit for bit, on any machine with AVX2 (an
// AVX-512 machine checks them too), including rows holding an infinity or NaN; not the 512-bit kernels (HalfWidthTileTests).
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class HalfWidthTileAvx2Tests
{
    // infinityAt: the column of row 1 holding an infinity (NaN where negative: column −infinityAt), or null: in the
    // 16-wide loop, in the 8-wide step after it and in the scalar tail.
    [Theory]
    [InlineData(GgmlType.F16, 1, null)]
    [InlineData(GgmlType.F16, 31, null)]
    [InlineData(GgmlType.F16, 33, 16)]
    [InlineData(GgmlType.F16, 24, 20)]
    [InlineData(GgmlType.F16, 24, -17)]
    [InlineData(GgmlType.F16, 1056, null)]
    [InlineData(GgmlType.F16, 4097, 2048)]
    [InlineData(GgmlType.F16, 4097, 4096)]
    [InlineData(GgmlType.BF16, 33, null)]
    [InlineData(GgmlType.BF16, 4097, 2048)]
    public void RowsAndTileEqualTheAvx2RowDotBitForBit(GgmlType type, int k, int? infinityAt)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        var format = QuantFormats.Get(type);
        int rowBytes = format.RowBytes(k);
        float[] values = KQuantTestData.RandomFloats(4 * k, seed: k);
        if (infinityAt is int at) values[k + Math.Abs(at)] = at < 0 ? float.NaN : float.PositiveInfinity;
        byte[] weights = FourRows(format, values, k);
        float[] x = KQuantTestData.RandomFloats(2 * k, seed: 3 * k + 1);
        var decoded = new float[4];
        var widened = new float[2 * k];
        var tiled = new float[4];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* o = decoded)
        fixed (float* ww = widened)
        fixed (float* t = tiled)
        {
            if (type == GgmlType.F16) HalfWidthTileAvx2.Rows<Fp16Float>(w, rowBytes, 1, (byte*)px, k, o);
            else HalfWidthTileAvx2.Rows<Bf16Float>(w, rowBytes, 1, (byte*)px, k, o);
            format.DequantizeReference(weights.AsSpan(0, 2 * rowBytes), widened);
            var parked = stackalloc Vector256<float>[8];
            int whole = k / 16 * 16;
            // Two segments where K allows, the accumulators parked between them.
            int middle = whole >= 32 ? whole / 32 * 16 : whole;
            if (middle < whole) HalfWidthTileAvx2.Tile(ww, k, px, t, 2, parked, 0, middle, finish: false);
            HalfWidthTileAvx2.Tile(ww, k, px, t, 2, parked, middle < whole ? middle : 0, whole, finish: true);
        }
        for (int r = 0; r < 4; r++)
        {
            float dot = Avx2Dot(format, weights.AsSpan(r * rowBytes, rowBytes), x.AsSpan(0, k));
            Assert.True(dot.Equals(decoded[r]), $"{type} K={k} row {r}: AVX2 row dot {dot:R}, rows kernel {decoded[r]:R}");
        }
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 2; j++)
            {
                float dot = Avx2Dot(format, weights.AsSpan(r * rowBytes, rowBytes), x.AsSpan(j * k, k));
                Assert.True(dot.Equals(tiled[j * 2 + r]), $"{type} K={k} row {r} token {j}: AVX2 row dot {dot:R}, tile {tiled[j * 2 + r]:R}");
            }
    }

    /// <summary>Four rows of <paramref name="k"/> values in the format's bytes, row after row.</summary>
    private static byte[] FourRows(QuantFormat format, float[] values, int k)
    {
        int rowBytes = format.RowBytes(k);
        var weights = new byte[4 * rowBytes];
        for (int r = 0; r < 4; r++) format.Quantize!(values.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        return weights;
    }

    private static float Avx2Dot(QuantFormat format, ReadOnlySpan<byte> row, ReadOnlySpan<float> x) => format.Type == GgmlType.F16
        ? F16Row.Dot(row, MemoryMarshal.AsBytes(x), SimdWidth.Vector256)
        : BF16Row.Dot(row, MemoryMarshal.AsBytes(x), SimdWidth.Vector256);
}
