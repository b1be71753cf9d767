// The AVX-512 Q8_0 pair tile against its scalar reference and the single-row x86-order dot, bit for bit; not the matmul driver (MatMulBatchInvarianceTests).
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class Q8_0TileAvx512Tests
{
    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int blocks in new[] { 1, 31, 33, 64, 4097 })
            foreach (int pairs in new[] { 1, 2, 3, 4, 5, 9, 16 })
                foreach (bool interleaved in new[] { false, true })
                    if (blocks < 4097 || pairs == 5)
                        data.Add(blocks, pairs, interleaved);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void RunEqualsReferenceAndTheRowDotBitForBit(int blocks, int pairs, bool interleaved)
    {
        int tokens = 2 * pairs;
        byte[] weights = Weights(blocks, seed: blocks + pairs, interleaved);
        int rowBytes = blocks * Q8_0Block.BlockBytes;
        var activations = new byte[tokens * rowBytes];
        for (int t = 0; t < tokens; t++)
            Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: 100 * t + blocks), activations.AsSpan(t * rowBytes, rowBytes));
        var packed = new byte[pairs * blocks * Q8_0TileAvx512.PairBlockBytes];
        var reference = new float[tokens * 4];
        var run = new float[tokens * 4];
        nint wStride = interleaved ? Q8_0Block.BlockBytes : blocks * Q8_0Block.BlockBytes;
        nint blockStride = interleaved ? 4 * Q8_0Block.BlockBytes : Q8_0Block.BlockBytes;
        nint pairStride = (nint)blocks * Q8_0TileAvx512.PairBlockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = activations)
        fixed (byte* p = packed)
        fixed (float* o = reference)
        fixed (float* r = run)
        {
            Q8_0TileAvx512.Pack(a, rowBytes, pairs, blocks, p);
            Q8_0TileAvx512.Reference(w, wStride, blockStride, p, pairStride, pairs, blocks, o, 4);
            byte[] row = new byte[blocks * Q8_0Block.BlockBytes];
            for (int k = 0; k < 4; k++)
            {
                for (int b = 0; b < blocks; b++)
                    new ReadOnlySpan<byte>(w + b * blockStride + k * wStride, Q8_0Block.BlockBytes).CopyTo(row.AsSpan(b * Q8_0Block.BlockBytes));
                fixed (byte* x = row)
                    for (int t = 0; t < tokens; t++)
                    {
                        float single = GgmlX86BlockDot.Reference<Q8_0Block.Kernel, Q8_0Block.Kernel>(x, a + t * rowBytes, blocks);
                        Assert.True(single.Equals(reference[t * 4 + k]), $"row {k} token {t}: row dot {single:R}, tile reference {reference[t * 4 + k]:R}");
                    }
            }
            if (!Q8_0TileAvx512.IsSupported) return;
            Q8_0TileAvx512.Run(w, wStride, blockStride, p, pairStride, pairs, blocks, r, 4);
        }
        for (int i = 0; i < run.Length; i++)
            Assert.True(reference[i].Equals(run[i]), $"token {i / 4} row {i % 4}: reference {reference[i]:R}, AVX-512 {run[i]:R}");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(31, true)]
    [InlineData(33, false)]
    [InlineData(64, true)]
    [InlineData(4097, true)]
    public void RowsEqualRowsReferenceAndTheRowDotBitForBit(int blocks, bool interleaved)
    {
        byte[] weights = Weights(blocks, seed: blocks + 3, interleaved);
        var token = new byte[blocks * Q8_0Block.BlockBytes];
        Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: blocks * 5 + 1), token);
        var packed = new byte[blocks * Q8_0TileAvx512.PairBlockBytes];
        var reference = new float[4];
        var run = new float[4];
        nint wStride = interleaved ? Q8_0Block.BlockBytes : blocks * Q8_0Block.BlockBytes;
        nint blockStride = interleaved ? 4 * Q8_0Block.BlockBytes : Q8_0Block.BlockBytes;
        fixed (byte* w = weights)
        fixed (byte* a = token)
        fixed (byte* p = packed)
        fixed (float* o = reference)
        fixed (float* r = run)
        {
            Q8_0TileAvx512.Pack(a, 0, 1, blocks, p);
            Q8_0TileAvx512.RowsReference(w, wStride, blockStride, p, blocks, o);
            for (int k = 0; k < 4; k++)
            {
                byte[] row = new byte[blocks * Q8_0Block.BlockBytes];
                for (int b = 0; b < blocks; b++)
                    new ReadOnlySpan<byte>(w + b * blockStride + k * wStride, Q8_0Block.BlockBytes).CopyTo(row.AsSpan(b * Q8_0Block.BlockBytes));
                fixed (byte* x = row)
                    Assert.Equal(GgmlX86BlockDot.Reference<Q8_0Block.Kernel, Q8_0Block.Kernel>(x, a, blocks), reference[k]);
            }
            if (!Q8_0TileAvx512.IsSupported) return;
            Q8_0TileAvx512.Rows(w, wStride, blockStride, p, blocks, r);
        }
        for (int k = 0; k < 4; k++)
            Assert.True(reference[k].Equals(run[k]), $"row {k}: reference {reference[k]:R}, AVX-512 {run[k]:R}");
    }

    /// <summary>Four Q8_0 rows of <paramref name="blocks"/> blocks, row-major or in the interleaved groups of four.</summary>
    private static byte[] Weights(int blocks, int seed, bool interleaved)
    {
        int rowBytes = blocks * Q8_0Block.BlockBytes;
        var rows = new byte[4 * rowBytes];
        for (int k = 0; k < 4; k++)
            Q8_0Block.QuantizeReference(QuantTestData.Floats(blocks * 32, seed * 4 + k), rows.AsSpan(k * rowBytes, rowBytes));
        if (!interleaved) return rows;
        var grouped = new byte[rows.Length];
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < 4; k++)
                rows.AsSpan(k * rowBytes + b * Q8_0Block.BlockBytes, Q8_0Block.BlockBytes)
                    .CopyTo(grouped.AsSpan((b * 4 + k) * Q8_0Block.BlockBytes));
        return grouped;
    }
}
