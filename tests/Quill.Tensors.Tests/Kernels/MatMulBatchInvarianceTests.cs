// Batch invariance of the matmul: a row's output is bit for bit the same whatever rows share its call and wherever it
// sits (tile, four-row or single-row kernel); not accuracy against the float meaning (MatMulTests does that).
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Tests.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class MatMulBatchInvarianceTests
{
    private const int Columns = 512;
    private const int LongColumns = 2304; // 72 blocks of 32: the tile's scale chunks (32 blocks) end mid-row
    private static readonly int[] TokenCounts = [1, 3, 4, 5, 11, 16, 17]; // 11: Q4_0 pair tiles of four pairs, one pair, one token

    public static TheoryData<GgmlType, int, bool, int> Cases()
    {
        var data = new TheoryData<GgmlType, int, bool, int>();
        foreach (var format in QuantFormats.All)
        {
            data.Add(format.Type, 37, false, Columns); // 36 rows in four-row groups, one left to the single-row dot
            if (WeightMatrix.CanInterleaveRows(format.Type, 36, Columns))
                data.Add(format.Type, 36, true, Columns);
            if (WeightMatrix.CanInterleaveRows(format.Type, 8, LongColumns))
                data.Add(format.Type, 8, true, LongColumns);
        }
        return data;
    }

    [Fact]
    public void EveryServedTypeIsCovered()
    {
        var types = QuantFormats.All.Select(f => f.Type).ToHashSet();
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K })
            Assert.Contains(type, types);
    }

    [Theory, MemberData(nameof(Cases))]
    public unsafe void RowsOfABatchEqualEachRowAlone(GgmlType type, int rows, bool interleave, int columns)
    {
        var format = QuantFormats.Get(type);
        using var weightBytes = new NativeBuffer<byte>(format.RowBytes(columns) * (long)rows);
        RandomWeights(format, rows, columns).CopyTo(weightBytes.Span);
        var rowMajor = new WeightMatrix("w", type, rows, columns, weightBytes.Pointer);
        var w = interleave ? rowMajor.InterleaveRowGroups() : rowMajor;

        int most = TokenCounts.Max();
        using var x = new NativeBuffer<float>((long)most * columns);
        KQuantTestData.RandomFloats(most * columns, seed: rows + (int)type).CopyTo(x.Span);
        using var pool = new ComputePool(3);
        using var matmul = new MatMul(pool);
        using var alone = new NativeBuffer<float>((long)most * rows);
        for (int t = 0; t < most; t++)
        {
            matmul.SetInput(x.Pointer + (long)t * columns, 1, columns);
            matmul.Multiply(w, alone.Pointer + (long)t * rows);
        }

        using var batch = new NativeBuffer<float>((long)most * rows);
        foreach (int tokens in TokenCounts)
        {
            // Start the batch at a different row each time so a row meets each kernel (tile, tail) somewhere.
            int first = most - tokens;
            matmul.SetInput(x.Pointer + (long)first * columns, tokens, columns);
            matmul.Multiply(w, batch.Pointer);
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rows; r++)
                {
                    float single = alone.Span[(first + t) * rows + r], batched = batch.Span[t * rows + r];
                    Assert.True(single.Equals(batched),
                        $"{type} {(interleave ? "interleaved" : "row-major")} T={tokens} token {first + t} row {r}: alone {single:R}, in batch {batched:R}");
                }
        }
    }

    private static byte[] RandomWeights(QuantFormat format, int rows, int columns)
    {
        if (format.Quantize is null)
            return KQuantTestData.RandomBlocks(KQuantTestData.ByName(format.Type.ToString()), rows * columns / format.BlockSize, seed: rows * 131);
        int rowBytes = format.RowBytes(columns);
        var bytes = new byte[rowBytes * rows];
        float[] values = KQuantTestData.RandomFloats(rows * columns, seed: rows * 7 + 1);
        for (int r = 0; r < rows; r++)
            format.Quantize(values.AsSpan(r * columns, columns), bytes.AsSpan(r * rowBytes, rowBytes));
        return bytes;
    }
}
