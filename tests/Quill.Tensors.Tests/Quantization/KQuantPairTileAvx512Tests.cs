// The AVX-512 K-quant pair tiles (Q4_K, Q5_K, Q6_K) and their packed decode kernels against the scalar reference and
// the format's row dot, bit for bit; not the matmul driver (MatMulKQuantTests).
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class KQuantPairTileAvx512Tests
{
    public static TheoryData<GgmlType, int, int, bool> Shapes()
    {
        var data = new TheoryData<GgmlType, int, int, bool>();
        foreach (var type in new[] { GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (int blocks in new[] { 1, 3, 8, 31, 33 })
                foreach (int pairs in new[] { 1, 2, 3, 4, 5 })
                    foreach (bool interleaved in new[] { false, true })
                        if (blocks < 31 || pairs == 3)
                            data.Add(type, blocks, pairs, interleaved);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void RunEqualsReferenceAndTheRowDotBitForBit(GgmlType type, int blocks, int pairs, bool interleaved)
    {
        var kernels = Kernels.For(type);
        int tokens = 2 * pairs;
        byte[] weights = Weights(type, blocks, seed: blocks * 7 + pairs, interleaved, out byte[] rows);
        int rowBytes = blocks * Q8KBlock.BlockBytes;
        var activations = new byte[tokens * rowBytes];
        for (int t = 0; t < tokens; t++)
            Q8KBlock.Quantize(KQuantTestData.RandomFloats(blocks * 256, seed: 100 * t + blocks), activations.AsSpan(t * rowBytes, rowBytes));
        var packed = new byte[pairs * blocks * KQuantPairPacking.PairBlockBytes];
        var reference = new float[tokens * 4];
        var run = new float[tokens * 4];
        int blockBytes = QuantFormats.Get(type).BlockBytes;
        nint wStride = interleaved ? blockBytes : blocks * blockBytes;
        nint blockStride = interleaved ? 4 * blockBytes : blockBytes;
        nint pairStride = (nint)blocks * KQuantPairPacking.PairBlockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        fixed (byte* p = packed)
        fixed (float* o = reference)
        fixed (float* r = run)
        {
            KQuantPairPacking.Pack(a, rowBytes, pairs, blocks, p);
            kernels.Reference(w, wStride, blockStride, p, pairStride, pairs, blocks, o, 4);
            if (SimdCapability.Best != SimdWidth.Vector512) return;
            kernels.Run(w, wStride, blockStride, p, pairStride, pairs, blocks, r, 4);
        }
        var format = QuantFormats.Get(type);
        for (int k = 0; k < 4; k++)
            for (int t = 0; t < tokens; t++)
            {
                float single = format.Dot(rows.AsSpan(k * blocks * blockBytes, blocks * blockBytes), activations.AsSpan(t * rowBytes, rowBytes));
                Assert.True(single.Equals(reference[t * 4 + k]), $"{type} row {k} token {t}: row dot {single:R}, tile reference {reference[t * 4 + k]:R}");
                Assert.True(single.Equals(run[t * 4 + k]), $"{type} row {k} token {t}: row dot {single:R}, AVX-512 tile {run[t * 4 + k]:R}");
            }
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 1, false)]
    [InlineData(GgmlType.Q4_K, 33, true)]
    [InlineData(GgmlType.Q5_K, 3, true)]
    [InlineData(GgmlType.Q5_K, 31, false)]
    [InlineData(GgmlType.Q6_K, 1, true)]
    [InlineData(GgmlType.Q6_K, 33, false)]
    [InlineData(GgmlType.Q6_K, 8, true)]
    public void PackedRowsEqualTheRowDotBitForBit(GgmlType type, int blocks, bool interleaved)
    {
        if (SimdCapability.Best != SimdWidth.Vector512) return;
        var kernels = Kernels.For(type);
        byte[] weights = Weights(type, blocks, seed: blocks + 3, interleaved, out byte[] rows);
        var token = new byte[blocks * Q8KBlock.BlockBytes];
        Q8KBlock.Quantize(KQuantTestData.RandomFloats(blocks * 256, seed: blocks * 5 + 1), token);
        var packed = new byte[blocks * KQuantPairPacking.PairBlockBytes];
        var run = new float[4];
        int blockBytes = QuantFormats.Get(type).BlockBytes;
        nint wStride = interleaved ? blockBytes : blocks * blockBytes;
        nint blockStride = interleaved ? 4 * blockBytes : blockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = token)
        fixed (byte* p = packed)
        fixed (float* r = run)
        {
            KQuantPairPacking.Pack(a, 0, 1, blocks, p);
            kernels.PackedRows(w, wStride, blockStride, p, blocks, r);
        }
        var format = QuantFormats.Get(type);
        for (int k = 0; k < 4; k++)
        {
            float single = format.Dot(rows.AsSpan(k * blocks * blockBytes, blocks * blockBytes), token);
            Assert.True(single.Equals(run[k]), $"{type} row {k}: row dot {single:R}, packed rows {run[k]:R}");
        }
    }

    /// <summary>One format's pair tile, its scalar reference and its packed decode kernel.</summary>
    private sealed record Kernels(PairTileDot Run, PairTileDot Reference, RowsDot PackedRows)
    {
        public static Kernels For(GgmlType type) => type switch
        {
            GgmlType.Q4_K => new(KQuantPairTileAvx512<ScaleMinPairWeights<Q4KTileAvx512>>.Run,
                KQuantPairTileAvx512<ScaleMinPairWeights<Q4KTileAvx512>>.Reference,
                ScaleMinTileAvx512<Q4KTileAvx512>.PackedRows),
            GgmlType.Q5_K => new(KQuantPairTileAvx512<ScaleMinPairWeights<Q5KTileAvx512>>.Run,
                KQuantPairTileAvx512<ScaleMinPairWeights<Q5KTileAvx512>>.Reference,
                ScaleMinTileAvx512<Q5KTileAvx512>.PackedRows),
            GgmlType.Q6_K => new(KQuantPairTileAvx512<OffsetPairWeights<Q6KTileAvx512>>.Run,
                KQuantPairTileAvx512<OffsetPairWeights<Q6KTileAvx512>>.Reference,
                OffsetTileAvx512<Q6KTileAvx512>.PackedRows),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    /// <summary>Four random rows of <paramref name="blocks"/> blocks (also returned row-major), row-major or in interleaved groups of four.</summary>
    private static byte[] Weights(GgmlType type, int blocks, int seed, bool interleaved, out byte[] rows)
    {
        int blockBytes = QuantFormats.Get(type).BlockBytes;
        rows = KQuantTestData.RandomBlocks(KQuantTestData.ByName(type.ToString()), 4 * blocks, seed);
        return interleaved ? KQuantTestData.InterleaveFourRows(rows, blocks, blockBytes) : rows;
    }
}
