// The batched matmul (row dots and 4×4 tiles, split across threads) against its scalar Reference for every weight type.
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class MatMulTests
{
    // Activations are quantized to 8 bits for the quantized types, so compare against the float Reference loosely there.
    private const float FloatTolerance = 1e-4f;
    private const float QuantizedActivationTolerance = 2e-2f;

    public static TheoryData<GgmlType, int, int> Cases()
    {
        var data = new TheoryData<GgmlType, int, int>();
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1 })
            foreach (var (rows, tokens) in new[] { (1, 1), (4, 4), (7, 5), (13, 9), (8, 3), (33, 12), (12, 1), (16, 2) })
                data.Add(type, rows, tokens);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void MatchesReference(GgmlType type, int rows, int tokens)
    {
        Check(type, rows, tokens, interleave: false);
        if (WeightMatrix.CanInterleaveRows(type, rows, 96))
            Check(type, rows, tokens, interleave: true);
    }

    private static unsafe void Check(GgmlType type, int rows, int tokens, bool interleave)
    {
        const int columns = 96;
        var format = QuantFormats.Get(type);
        var random = new Random(rows * 31 + tokens);
        var weightsF = new float[rows * columns];
        for (int i = 0; i < weightsF.Length; i++) weightsF[i] = (float)(random.NextDouble() * 2 - 1);
        using var weightBytes = new NativeBuffer<byte>(format.RowBytes(columns) * (long)rows);
        for (int r = 0; r < rows; r++)
            format.Quantize!(weightsF.AsSpan(r * columns, columns), weightBytes.Slice((long)r * format.RowBytes(columns), format.RowBytes(columns)));
        var rowMajor = new WeightMatrix("w", type, rows, columns, weightBytes.Pointer);
        var singleRows = new float[rows * columns];
        for (int r = 0; r < rows; r++) rowMajor.DequantizeRow(r, singleRows.AsSpan(r * columns, columns), format.DequantizeReference);
        var rowBytes = Enumerable.Range(0, rows).Select(r => rowMajor.Row(r).ToArray()).ToArray();
        var w = interleave ? rowMajor.InterleaveRowGroups() : rowMajor;
        Assert.Equal(interleave, w.IsInterleaved);
        var check = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            w.DequantizeRow(r, check, format.DequantizeReference);
            Assert.Equal(singleRows.AsSpan(r * columns, columns).ToArray(), check);
        }
        using var x = new NativeBuffer<float>(tokens * columns);
        for (int i = 0; i < x.Length; i++) x.Span[i] = (float)(random.NextDouble() * 2 - 1);
        var expected = new float[rows * tokens];
        MatMul.Reference(w, x.Span, expected, tokens);

        using var pool = new ComputePool(3);
        using var matmul = new MatMul(pool);
        using var y = new NativeBuffer<float>(rows * tokens);
        matmul.SetInput(x.Pointer, tokens, columns);
        matmul.Multiply(w, y.Pointer);

        float tolerance = format.ActivationType == GgmlType.F32 ? FloatTolerance : QuantizedActivationTolerance;
        float scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - y.Span[i]) <= tolerance * scale, $"{type} [{i}]: {expected[i]} vs {y.Span[i]}");

        // Tiles and 4-row kernels must give bit for bit what the per-row dot gives (itself llama.cpp's x86 order).
        var activations = new byte[format.ActivationRowBytes(columns)];
        for (int t = 0; t < tokens; t++)
        {
            format.QuantizeActivations(x.Span.Slice(t * columns, columns), activations);
            for (int r = 0; r < rows; r++)
            {
                float single = format.Dot(rowBytes[r], activations);
                Assert.Equal(single, y.Span[t * rows + r]);
            }
        }
    }
}
