// The AVX-512 Q4_0 and Q8_0 pair tiles and the AVX2 Q8_0 one against their scalar references and the single-row x86-order dot, bit for
// bit; not the matmul driver (MatMulBatchInvarianceTests).
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class LegacyPairTileTests
{
    private delegate float RowDotReference(byte* weights, byte* activations, int blocks);

    /// <summary>
    /// What the tests call of one format's pair tile: the kernels, their references, the weight block and its quantizer. Q4_0's
    /// tile has no decode kernel (Q4_0RowsAvx512 decodes over plain activations: Q4_0RowsAvx512Tests) and takes llama.cpp's repacked order.
    /// </summary>
    private sealed record Tile(int PairBlockBytes, ActivationPack Pack, PairTileDot Reference, RowsDot? RowsReference, PairTileDot Run, RowsDot? Rows,
        bool IsSupported, int BlockBytes, RowQuantize Quantize, RowDotReference RowDot);

    private static Tile For(string tile) => tile switch
    {
        "Q4_0 AVX-512" => new(Q4_0TileAvx512.PairBlockBytes, Q4_0TileAvx512.Pack, Q4_0TileAvx512.Reference, null,
            Q4_0TileAvx512.Run, null, Q4_0TileAvx512.IsSupported, Q4_0Block.BlockBytes, Q4_0Block.QuantizeReference, Q4_0Avx2.Reference),
        "Q8_0 AVX-512" => new(Q8_0TileAvx512.PairBlockBytes, Q8_0TileAvx512.Pack, Q8_0TileAvx512.Reference, Q8_0TileAvx512.RowsReference,
            Q8_0TileAvx512.Run, Q8_0TileAvx512.Rows, Q8_0TileAvx512.IsSupported, Q8_0Block.BlockBytes, Q8_0Block.QuantizeReference,
            GgmlX86BlockDot.Reference<Q8_0Block.Kernel, Q8_0Block.Kernel>),
        "Q8_0 AVX2" => new(Q8_0TileAvx2.PairBlockBytes, Q8_0TileAvx2.Pack, Q8_0TileAvx2.Reference, null,
            Q8_0TileAvx2.Run, null, Q8_0TileAvx2.IsSupported, Q8_0Block.BlockBytes, Q8_0Block.QuantizeReference,
            GgmlX86BlockDot.Reference<Q8_0Block.Kernel, Q8_0Block.Kernel>),
        _ => throw new ArgumentOutOfRangeException(nameof(tile)),
    };

    public static TheoryData<string, int, int, bool> Shapes()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (string type in new[] { "Q4_0 AVX-512", "Q8_0 AVX-512", "Q8_0 AVX2" })
            foreach (int blocks in new[] { 1, 31, 33, 64, 4097 })
                foreach (int pairs in new[] { 1, 2, 3, 4, 5, 9, 16 })
                    foreach (bool interleaved in new[] { false, true })
                        if (blocks < 4097 || pairs == 5)
                            data.Add(type, blocks, pairs, interleaved);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void RunEqualsReferenceAndTheRowDotBitForBit(string type, int blocks, int pairs, bool interleaved)
    {
        var tile = For(type);
        int tokens = 2 * pairs;
        byte[] weights = Weights(tile, blocks, seed: blocks + pairs, interleaved);
        int rowBytes = blocks * Q8_0Block.BlockBytes; // the activations'
        var activations = new byte[tokens * rowBytes];
        for (int t = 0; t < tokens; t++)
            Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: 100 * t + blocks), activations.AsSpan(t * rowBytes, rowBytes));
        var packed = new byte[pairs * blocks * tile.PairBlockBytes];
        var reference = new float[tokens * 4];
        var run = new float[tokens * 4];
        nint wStride = interleaved ? tile.BlockBytes : blocks * tile.BlockBytes;
        nint blockStride = interleaved ? 4 * tile.BlockBytes : tile.BlockBytes;
        nint pairStride = (nint)blocks * tile.PairBlockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        fixed (byte* p = packed)
        fixed (float* o = reference)
        fixed (float* r = run)
        {
            tile.Pack(a, rowBytes, pairs, blocks, p);
            tile.Reference(w, wStride, blockStride, p, pairStride, pairs, blocks, o, 4);
            byte[] row = new byte[blocks * tile.BlockBytes];
            for (int k = 0; k < 4; k++)
            {
                for (int b = 0; b < blocks; b++)
                    new ReadOnlySpan<byte>(w + b * blockStride + k * wStride, tile.BlockBytes).CopyTo(row.AsSpan(b * tile.BlockBytes));
                fixed (byte* x = row)
                    for (int t = 0; t < tokens; t++)
                    {
                        float single = tile.RowDot(x, a + t * rowBytes, blocks);
                        Assert.True(single.Equals(reference[t * 4 + k]), $"row {k} token {t}: row dot {single:R}, tile reference {reference[t * 4 + k]:R}");
                    }
            }
            if (!tile.IsSupported) return;
            tile.Run(w, wStride, blockStride, p, pairStride, pairs, blocks, r, 4);
        }
        for (int i = 0; i < run.Length; i++)
            Assert.True(reference[i].Equals(run[i]), $"{type}: token {i / 4} row {i % 4}: reference {reference[i]:R}, SIMD {run[i]:R}");
    }

    [Theory]
    [InlineData("Q8_0 AVX-512", 1, false)]
    [InlineData("Q8_0 AVX-512", 31, true)]
    [InlineData("Q8_0 AVX-512", 33, false)]
    [InlineData("Q8_0 AVX-512", 64, true)]
    [InlineData("Q8_0 AVX-512", 4097, true)]
    public void RowsEqualRowsReferenceAndTheRowDotBitForBit(string type, int blocks, bool interleaved)
    {
        var tile = For(type);
        byte[] weights = Weights(tile, blocks, seed: blocks + 3, interleaved);
        var token = new byte[blocks * Q8_0Block.BlockBytes];
        Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: blocks * 5 + 1), token);
        var packed = new byte[blocks * tile.PairBlockBytes];
        var reference = new float[4];
        var run = new float[4];
        nint wStride = interleaved ? tile.BlockBytes : blocks * tile.BlockBytes;
        nint blockStride = interleaved ? 4 * tile.BlockBytes : tile.BlockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = token)
        fixed (byte* p = packed)
        fixed (float* o = reference)
        fixed (float* r = run)
        {
            tile.Pack(a, 0, 1, blocks, p);
            tile.RowsReference!(w, wStride, blockStride, p, blocks, o);
            for (int k = 0; k < 4; k++)
            {
                byte[] row = new byte[blocks * tile.BlockBytes];
                for (int b = 0; b < blocks; b++)
                    new ReadOnlySpan<byte>(w + b * blockStride + k * wStride, tile.BlockBytes).CopyTo(row.AsSpan(b * tile.BlockBytes));
                fixed (byte* x = row)
                    Assert.Equal(tile.RowDot(x, a, blocks), reference[k]);
            }
            if (!tile.IsSupported) return;
            tile.Rows!(w, wStride, blockStride, p, blocks, r);
        }
        for (int k = 0; k < 4; k++)
            Assert.True(reference[k].Equals(run[k]), $"row {k}: reference {reference[k]:R}, AVX-512 {run[k]:R}");
    }

    /// <summary>Four rows of <paramref name="blocks"/> blocks of the tile's format, row-major or in the interleaved groups of four.</summary>
    private static byte[] Weights(Tile tile, int blocks, int seed, bool interleaved)
    {
        int rowBytes = blocks * tile.BlockBytes;
        var rows = new byte[4 * rowBytes];
        for (int k = 0; k < 4; k++)
            tile.Quantize(QuantTestData.Floats(blocks * 32, seed * 4 + k), rows.AsSpan(k * rowBytes, rowBytes));
        if (!interleaved) return rows;
        var grouped = new byte[rows.Length];
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < 4; k++)
                rows.AsSpan(k * rowBytes + b * tile.BlockBytes, tile.BlockBytes)
                    .CopyTo(grouped.AsSpan((b * 4 + k) * tile.BlockBytes));
        return grouped;
    }
}
