// The AVX2 K-quant 4×4 prompt tile (Q4_K, Q5_K, Q6_K) against the format's AVX2
// row dot, bit for bit, on any machine with AVX2 (so an AVX-512 machine checks them too); not the matmul driver (MatMulKQuantTests).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class KQuantTileAvx2Tests
{
    public static TheoryData<GgmlType, int, bool> Shapes()
    {
        var data = new TheoryData<GgmlType, int, bool>();
        foreach (var type in new[] { GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (int blocks in new[] { 1, 2, 8, 11, 31, 33 })
                foreach (bool interleaved in new[] { false, true })
                    data.Add(type, blocks, interleaved);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void TileEqualsTheAvx2RowDotBitForBit(GgmlType type, int blocks, bool interleaved)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) return;
        var (tile, rowDot) = For(type);
        int blockBytes = QuantFormats.Get(type).BlockBytes;
        byte[] rows = KQuantTestData.RandomBlocks(KQuantTestData.ByName(type.ToString()), 4 * blocks, seed: blocks * 13 + (interleaved ? 1 : 0));
        byte[] weights = interleaved ? KQuantTestData.InterleaveFourRows(rows, blocks, blockBytes) : rows;
        int rowBytes = blocks * Q8KBlock.BlockBytes;
        var activations = new byte[4 * rowBytes];
        for (int t = 0; t < 4; t++)
            Q8KBlock.Quantize(KQuantTestData.RandomFloats(blocks * 256, seed: 50 * t + blocks), activations.AsSpan(t * rowBytes, rowBytes));
        var tiled = new float[16];
        nint wStride = interleaved ? blockBytes : blocks * blockBytes;
        nint blockStride = interleaved ? 4 * blockBytes : blockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        fixed (float* o = tiled)
        {
            tile(w, wStride, blockStride, a, rowBytes, blocks, o, 4);
        }
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < 4; t++)
            {
                float single = rowDot(rows.AsSpan(r * blocks * blockBytes, blocks * blockBytes), activations.AsSpan(t * rowBytes, rowBytes));
                Assert.True(single.Equals(tiled[4 * t + r]), $"{type} row {r} token {t}: AVX2 row dot {single:R}, tile {tiled[4 * t + r]:R}");
            }
    }

    [Fact]
    public void ScaleMinUnpacksAgreeWithGgmlsGetScaleMinK4()
    {
        if (!Ssse3.IsSupported) return;
        var random = new Random(12);
        var table = new byte[16];
        for (int trial = 0; trial < 20_000; trial++)
        {
            if (trial < 256) Array.Fill(table, (byte)trial); // every byte value in every place
            else random.NextBytes(table);
            fixed (byte* p = table)
            {
                Vector128<byte> scalar = KQuant.UnpackScaleMin(p), vector = KQuant.UnpackScaleMinSsse3(p);
                for (int j = 0; j < 8; j++)
                {
                    // ggml's get_scale_min_k4.
                    int scale = j < 4 ? table[j] & 63 : (table[j + 4] & 0xF) | ((table[j - 4] >> 6) << 4);
                    int min = j < 4 ? table[j + 4] & 63 : (table[j + 4] >> 4) | ((table[j] >> 6) << 4);
                    Assert.True(scale == scalar[j] && min == scalar[8 + j], $"scalar unpack, trial {trial}, j {j}");
                    Assert.True(scale == vector[j] && min == vector[8 + j], $"SSSE3 unpack, trial {trial}, j {j}");
                }
            }
        }
    }

    private delegate float SpanDot(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations);

    private static (TileDot Tile, SpanDot RowDot) For(GgmlType type) => type switch
    {
        GgmlType.Q4_K => (KQuantTileAvx2<Q4KAvx2Quants>.Tile, (w, a) => Q4KBlock.Dot(w, a, SimdWidth.Vector256)),
        GgmlType.Q5_K => (KQuantTileAvx2<Q5KAvx2Quants>.Tile, (w, a) => Q5KBlock.Dot(w, a, SimdWidth.Vector256)),
        GgmlType.Q6_K => (KQuantTileAvx2<Q6KAvx2Quants>.Tile, (w, a) => Q6KBlock.Dot(w, a, SimdWidth.Vector256)),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
