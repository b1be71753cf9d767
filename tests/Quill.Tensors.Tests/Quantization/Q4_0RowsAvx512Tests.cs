// Q4_0's AVX-512 decode kernel (four weight rows against one Q8_0 activation row) against the repacked-order reference, bit for
// bit, row-major and in interleaved groups of four, on odd and round block counts.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public unsafe class Q4_0RowsAvx512Tests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(31, true)]
    [InlineData(33, false)]
    [InlineData(64, true)]
    [InlineData(4097, true)]
    [InlineData(4097, false)]
    public void RunEqualsTheRepackedOrderBitForBit(int blocks, bool interleaved)
    {
        if (!Q4_0RowsAvx512.IsSupported) return;
        int rowBytes = blocks * Q4_0Block.BlockBytes;
        var rows = new byte[4 * rowBytes];
        for (int k = 0; k < 4; k++)
            Q4_0Block.QuantizeReference(QuantTestData.Floats(blocks * 32, seed: blocks * 4 + k), rows.AsSpan(k * rowBytes, rowBytes));
        // A zero block and a subnormal scale, which the scale table must widen exactly as the row dot does.
        rows.AsSpan(0, Q4_0Block.BlockBytes).Clear();
        rows[rowBytes + 0] = 0x01;
        rows[rowBytes + 1] = 0x00;
        byte[] weights = rows;
        if (interleaved)
        {
            weights = new byte[rows.Length];
            for (int b = 0; b < blocks; b++)
                for (int k = 0; k < 4; k++)
                    rows.AsSpan(k * rowBytes + b * Q4_0Block.BlockBytes, Q4_0Block.BlockBytes)
                        .CopyTo(weights.AsSpan((b * 4 + k) * Q4_0Block.BlockBytes));
        }
        var token = new byte[blocks * Q8_0Block.BlockBytes];
        Q8_0Block.QuantizeActivations(QuantTestData.Floats(blocks * 32, seed: blocks * 5 + 1), token);
        var run = new float[4];
        nint wStride = interleaved ? Q4_0Block.BlockBytes : rowBytes;
        nint blockStride = interleaved ? 4 * Q4_0Block.BlockBytes : Q4_0Block.BlockBytes;
        fixed (byte* w = weights, a = token, r = rows)
        fixed (float* o = run)
        {
            Q4_0RowsAvx512.Run(w, wStride, blockStride, a, blocks, o);
            for (int k = 0; k < 4; k++)
            {
                float single = Q4_0Avx2.Reference(r + k * rowBytes, a, blocks);
                Assert.True(single.Equals(run[k]), $"row {k}: row dot {single:R}, AVX-512 {run[k]:R}");
            }
        }
    }
}
