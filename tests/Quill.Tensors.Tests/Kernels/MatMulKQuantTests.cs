// The batched matmul on K-quant weights (row dots, pair and 4×4 tiles, four-row decode kernels; row-major and interleaved rows)
// against the single-row dot, bit for bit per (row, token) pair; not the float meaning (the formats' own tests).
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;
using Quill.Tensors.Tests.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class MatMulKQuantTests
{
    public static TheoryData<GgmlType, int, int, int> Cases()
    {
        var data = new TheoryData<GgmlType, int, int, int>();
        foreach (var type in new[] { GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_K, GgmlType.Q3_K, GgmlType.Q2_K })
        {
            foreach (var (rows, tokens) in new[] { (1, 1), (4, 1), (4, 4), (7, 5), (8, 3), (12, 1), (16, 9), (13, 12), (8, 2), (8, 8), (4, 33) })
                data.Add(type, rows, tokens, 512);
            data.Add(type, 8, 5, 256);
            data.Add(type, 4, 4, 2816);
            data.Add(type, 8, 33, 2816);
        }
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void EveryPairIsTheRowDot(GgmlType type, int rows, int tokens, int columns)
    {
        Check(type, rows, tokens, columns, interleave: false);
        if (WeightMatrix.CanInterleaveRows(type, rows, columns))
            Check(type, rows, tokens, columns, interleave: true);
    }

    [Fact]
    public void KQuantsHaveFourRowKernelsWithAvx512AndQ4KToQ6KATileWithAvx2()
    {
        foreach (var type in new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
        {
            var format = QuantFormats.Get(type);
            bool avx512 = SimdCapability.Best == SimdWidth.Vector512;
            // Q4_K batches through its pair tile with AVX-512 (llama.cpp's repacked order has no 4×4 tile here).
            Assert.Equal((avx512 && type != GgmlType.Q4_K) || (type is not GgmlType.Q2_K and not GgmlType.Q3_K && SimdCapability.Best == SimdWidth.Vector256),
                format.Tile is not null);
            Assert.Equal(avx512, format.Rows is not null);
        }
    }

    private static unsafe void Check(GgmlType type, int rows, int tokens, int columns, bool interleave)
    {
        var format = QuantFormats.Get(type);
        KFormat k = KQuantTestData.ByName(type.ToString());
        int rowBytes = format.RowBytes(columns);
        byte[] blocks = KQuantTestData.RandomBlocks(k, rows * columns / format.BlockSize, seed: rows * 131 + tokens * 7 + columns);
        using var weightBytes = new NativeBuffer<byte>(blocks.Length);
        blocks.CopyTo(weightBytes.Span);
        var rowMajor = new WeightMatrix("w", type, rows, columns, weightBytes.Pointer);
        var w = interleave ? rowMajor.InterleaveRowGroups() : rowMajor;
        Assert.Equal(interleave, w.IsInterleaved);

        float[] xs = KQuantTestData.RandomFloats(tokens * columns, seed: rows + tokens * 17);
        using var x = new NativeBuffer<float>(tokens * columns);
        xs.CopyTo(x.Span);
        using var pool = new ComputePool(3);
        using var matmul = new MatMul(pool);
        using var y = new NativeBuffer<float>(rows * tokens);
        matmul.SetInput(x.Pointer, tokens, columns);
        matmul.Multiply(w, y.Pointer);

        var activations = new byte[format.ActivationRowBytes(columns)];
        for (int t = 0; t < tokens; t++)
        {
            format.QuantizeActivations(xs.AsSpan(t * columns, columns), activations);
            for (int r = 0; r < rows; r++)
            {
                float single = format.Dot(blocks.AsSpan(r * rowBytes, rowBytes), activations);
                Assert.True(single.Equals(y.Span[t * rows + r]),
                    $"{type} {(interleave ? "interleaved" : "row-major")} row {r} token {t}: dot {single:R}, matmul {y.Span[t * rows + r]:R}");
            }
        }
    }
}
