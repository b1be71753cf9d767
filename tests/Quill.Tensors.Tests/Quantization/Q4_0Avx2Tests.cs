// Q4_0's AVX2 kernels in llama.cpp's repacked order (row dot, four-row decode, 4×4 prompt tile) against their scalar
// Reference, bit for bit, row-major and in interleaved groups of four, on odd and round block counts and extreme values.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class Q4_0Avx2Tests
{
    public static TheoryData<int, bool> Shapes => new()
    {
        { 1, false }, { 1, true }, { 31, true }, { 33, false }, { 64, true }, { 4097, true }, { 4097, false },
    };

    /// <summary>Four weight rows (a zero block, a subnormal scale and all-15 and all-0 nibbles included) and four tokens.</summary>
    private static (byte[] Rows, byte[] Tokens) Data(int blocks)
    {
        int rowBytes = blocks * Q4_0Block.BlockBytes;
        var rows = new byte[4 * rowBytes];
        for (int k = 0; k < 4; k++)
            Q4_0Block.QuantizeReference(QuantTestData.Floats(blocks * 32, seed: blocks * 4 + k), rows.AsSpan(k * rowBytes, rowBytes));
        rows.AsSpan(0, Q4_0Block.BlockBytes).Clear();
        rows[rowBytes] = 0x01;
        rows[rowBytes + 1] = 0x00;
        rows.AsSpan(2 * rowBytes + 2, 16).Fill(0xFF);
        rows.AsSpan(3 * rowBytes + 2, 16).Clear();
        var tokens = new byte[4 * blocks * Q8_0Block.BlockBytes];
        for (int c = 0; c < 4; c++)
            Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: blocks * 5 + c),
                tokens.AsSpan(c * blocks * Q8_0Block.BlockBytes, blocks * Q8_0Block.BlockBytes));
        // The extreme quants a Q8_0 byte can hold, against the extreme nibbles above: no int16 pair sum may saturate.
        tokens.AsSpan(2, 16).Fill(0x80);
        tokens.AsSpan(18, 16).Fill(0x7F);
        return (rows, tokens);
    }

    private static void AssertSame(float expected, float actual, string what) =>
        Assert.True(expected.Equals(actual), $"{what}: reference {expected:R}, kernel {actual:R}");

    [Theory, MemberData(nameof(Shapes))]
    public void KernelsEqualTheReferenceBitForBit(int blocks, bool interleaved)
    {
        if (!Q4_0Avx2.IsSupported) return;
        (byte[] rows, byte[] tokens) = Data(blocks);
        int rowBytes = blocks * Q4_0Block.BlockBytes, tokenBytes = blocks * Q8_0Block.BlockBytes;
        byte[] weights = interleaved ? KQuantTestData.InterleaveFourRows(rows, blocks, Q4_0Block.BlockBytes) : rows;
        nint wStride = interleaved ? Q4_0Block.BlockBytes : rowBytes;
        nint blockStride = interleaved ? 4 * Q4_0Block.BlockBytes : Q4_0Block.BlockBytes;
        var decoded = new float[4];
        var tile = new float[16];
        fixed (byte* w = weights, a = tokens, r = rows)
        fixed (float* o = decoded, t = tile)
        {
            Q4_0Avx2.Tile(w, wStride, blockStride, a, tokenBytes, blocks, t, 4);
            for (int c = 0; c < 4; c++)
            {
                Q4_0Avx2.Rows(w, wStride, blockStride, a + c * tokenBytes, blocks, o);
                for (int k = 0; k < 4; k++)
                {
                    float expected = Q4_0Avx2.Reference(r + k * rowBytes, a + c * tokenBytes, blocks);
                    AssertSame(expected, decoded[k], $"decode row {k} token {c}");
                    AssertSame(expected, tile[c * 4 + k], $"tile row {k} token {c}");
                    AssertSame(expected, Q4_0Avx2.Dot(rows.AsSpan(k * rowBytes, rowBytes), tokens.AsSpan(c * tokenBytes, tokenBytes)),
                        $"row dot {k} token {c}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(256)]
    public void ReferenceIsTheFormatsDotUpToFloatOrder(int blocks)
    {
        (byte[] rows, byte[] tokens) = Data(blocks);
        int rowBytes = blocks * Q4_0Block.BlockBytes, tokenBytes = blocks * Q8_0Block.BlockBytes;
        fixed (byte* r = rows, a = tokens)
        {
            for (int k = 0; k < 4; k++)
            {
                float generic = Q4_0Block.DotReference(rows.AsSpan(k * rowBytes, rowBytes), tokens.AsSpan(0, tokenBytes));
                float ours = Q4_0Avx2.Reference(r + k * rowBytes, a, blocks);
                Assert.Equal(generic, ours, Math.Abs(generic) * QuantTolerances.DotRelative + 1e-3f);
            }
        }
    }

    [Fact]
    public void TheRowDotChecksLengths()
    {
        if (!Q4_0Avx2.IsSupported) return;
        Assert.Throws<ArgumentException>(() => Q4_0Avx2.Dot(new byte[18], new byte[68]));
        Assert.Throws<ArgumentException>(() => Q4_0Avx2.Dot(new byte[17], new byte[34]));
    }
}
