// Batch invariance of the matmul: a row's output is bit for bit the same whatever rows share its call and wherever it
// sits (tile, four-row or single-row kernel); not accuracy against the float meaning (MatMulTests does that).
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Tests.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

// The K-quant tests in this collection lower the SIMD level; invariance is checked at the level the runtime uses.
[Collection(nameof(KQuantSimdLevel))]
public class MatMulBatchInvarianceTests
{
    private const int Columns = 512;
    private static readonly int[] TokenCounts = [1, 3, 4, 5, 16, 17];

    public static TheoryData<GgmlType, int, bool> Cases()
    {
        var data = new TheoryData<GgmlType, int, bool>();
        foreach (var format in QuantFormats.All)
        {
            data.Add(format.Type, 37, false); // 36 rows in four-row groups, one left to the single-row dot
            if (format.Tile is not null && format.Rows is not null) data.Add(format.Type, 36, true);
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
    public unsafe void RowsOfABatchEqualEachRowAlone(GgmlType type, int rows, bool interleave)
    {
        var format = QuantFormats.Get(type);
        using var weightBytes = new NativeBuffer<byte>(format.RowBytes(Columns) * (long)rows);
        RandomWeights(format, rows).CopyTo(weightBytes.Span);
        var rowMajor = new WeightMatrix("w", type, rows, Columns, weightBytes.Pointer);
        var w = interleave ? rowMajor.InterleaveRowGroups() : rowMajor;

        int most = TokenCounts.Max();
        using var x = new NativeBuffer<float>((long)most * Columns);
        KQuantTestData.RandomFloats(most * Columns, seed: rows + (int)type).CopyTo(x.Span);
        using var pool = new ComputePool(3);
        using var matmul = new MatMul(pool);
        using var alone = new NativeBuffer<float>((long)most * rows);
        for (int t = 0; t < most; t++)
        {
            matmul.SetInput(x.Pointer + (long)t * Columns, 1, Columns);
            matmul.Multiply(w, alone.Pointer + (long)t * rows);
        }

        using var batch = new NativeBuffer<float>((long)most * rows);
        foreach (int tokens in TokenCounts)
        {
            // Start the batch at a different row each time so a row meets each kernel (tile, tail) somewhere.
            int first = most - tokens;
            matmul.SetInput(x.Pointer + (long)first * Columns, tokens, Columns);
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

    private static byte[] RandomWeights(QuantFormat format, int rows)
    {
        if (format.Quantize is null)
            return KQuantTestData.RandomBlocks(KQuantTestData.ByName(format.Type.ToString()), rows * Columns / format.BlockSize, seed: rows * 131);
        int rowBytes = format.RowBytes(Columns);
        var bytes = new byte[rowBytes * rows];
        float[] values = KQuantTestData.RandomFloats(rows * Columns, seed: rows * 7 + 1);
        for (int r = 0; r < rows; r++)
            format.Quantize(values.AsSpan(r * Columns, Columns), bytes.AsSpan(r * rowBytes, rowBytes));
        return bytes;
    }
}
