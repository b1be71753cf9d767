// The F16/BF16 prefill tile against the row dot it must equal bit for bit, and against the double-sum reference, on odd sizes.
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Quantization;

public sealed unsafe class HalfWidthTileTests
{
    public static TheoryData<GgmlType, int, int, int> Sizes()
    {
        var data = new TheoryData<GgmlType, int, int, int>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            foreach (int k in new[] { 1, 16, 31, 32, 33, 48, 256, 1024, 1056, 2064, 4097 }) // one segment, two, two and a 16-float chunk
            {
                data.Add(type, k, 3, 9);   // an odd row beside a pair, two full token tiles and one left over
                data.Add(type, k, 67, 4);  // a second row block (64 + 3)
            }
            data.Add(type, 100, 2, 1);     // fewer tokens than a tile
            data.Add(type, 20000, 15, 5);  // K so long that a row block holds 12 rows: two blocks, parked accumulators
        }

        return data;
    }

    public static TheoryData<GgmlType, int, int> InterleavedSizes()
    {
        var data = new TheoryData<GgmlType, int, int>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            data.Add(type, 32, 8);
            data.Add(type, 1056, 68);   // two row blocks
            data.Add(type, 20000, 16);  // parked accumulators
        }
        return data;
    }

    // Rows widened a chunk at a time from load-time interleaved groups: the row-major tile's bits.
    [Theory, MemberData(nameof(InterleavedSizes))]
    public void InterleavedGroupsGiveTheRowMajorBits(GgmlType type, int k, int rows)
    {
        if (!WeightMatrix.CanInterleaveRows(type, rows, k)) return;
        const int tokens = 9;
        var format = QuantFormats.Get(type);
        int rowBytes = format.RowBytes(k);
        float[] weightsAsFloats = KQuantTestData.RandomFloats(rows * k, seed: k + rows);
        var weights = new byte[rowBytes * rows];
        for (int r = 0; r < rows; r++)
            format.Quantize!(weightsAsFloats.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        float[] x = KQuantTestData.RandomFloats(tokens * k, seed: 7 * k + tokens);
        float[] rowMajor = Multiply(type, weights, rowBytes, 64, rowBytes, rows, k, x, tokens);
        float[] fromGroups = Multiply(type, HalfWidthRowsTests.Interleaved(type, weights, k), 64, 256, rowBytes, rows, k, x, tokens);
        Assert.Equal(rowMajor, fromGroups);
    }

    private static float[] Multiply(GgmlType type, byte[] weights, nint rowStride, nint chunkStride, int rowBytes, int rows, int k, float[] x, int tokens)
    {
        var y = new float[tokens * rows];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (type == GgmlType.F16) HalfWidthTile<Fp16Float>.Multiply(w, rowStride, chunkStride, rowBytes, 0, rows, k, px, tokens, py, rows);
            else HalfWidthTile<Bf16Float>.Multiply(w, rowStride, chunkStride, rowBytes, 0, rows, k, px, tokens, py, rows);
        }
        return y;
    }

    [Theory, MemberData(nameof(Sizes))]
    public void EveryOutputEqualsTheRowDotAndIsNearTheReference(GgmlType type, int k, int rows, int tokens)
    {
        if (!HalfWidthTile<Fp16Float>.IsSupported) return; // the tile runs on the 512-bit path only; MatMul keeps the row dot elsewhere
        var format = QuantFormats.Get(type);
        float[] weightsAsFloats = KQuantTestData.RandomFloats(rows * k, seed: k + rows);
        var weights = new byte[format.RowBytes(k) * rows];
        for (int r = 0; r < rows; r++)
        {
            format.Quantize!(weightsAsFloats.AsSpan(r * k, k), weights.AsSpan(r * format.RowBytes(k), format.RowBytes(k)));
        }

        float[] x = KQuantTestData.RandomFloats(tokens * k, seed: 7 * k + tokens);
        var y = new float[tokens * rows];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            if (type == GgmlType.F16) HalfWidthTile<Fp16Float>.Multiply(w, format.RowBytes(k), 64, format.RowBytes(k), 0, rows, k, px, tokens, py, rows);
            else HalfWidthTile<Bf16Float>.Multiply(w, format.RowBytes(k), 64, format.RowBytes(k), 0, rows, k, px, tokens, py, rows);
        }

        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<byte> activations = System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan(t * k, k));
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<byte> row = weights.AsSpan(r * format.RowBytes(k), format.RowBytes(k));
                float tile = y[t * rows + r], dot = format.Dot(row, activations), reference = format.DotReference(row, activations);
                Assert.True(tile.Equals(dot), $"{type} K={k} token {t} row {r}: tile {tile:R}, row dot {dot:R}");
                Assert.True(Math.Abs(tile - reference) <= QuantTolerances.DotRelative * (1 + Math.Abs(reference)) * Math.Sqrt(k),
                    $"{type} K={k} token {t} row {r}: tile {tile:R}, reference {reference:R}");
            }
        }
    }

    [Fact]
    public void MatMulRunsTheTileAcrossThreadsWithTheSameResults()
    {
        const int Rows = 150, Columns = 333, Tokens = 11;
        var format = QuantFormats.Get(GgmlType.F16);
        using var weightBytes = new NativeBuffer<byte>(format.RowBytes(Columns) * (long)Rows);
        float[] weightsAsFloats = KQuantTestData.RandomFloats(Rows * Columns, seed: 3);
        for (int r = 0; r < Rows; r++)
        {
            format.Quantize!(weightsAsFloats.AsSpan(r * Columns, Columns), weightBytes.Span.Slice(r * format.RowBytes(Columns), format.RowBytes(Columns)));
        }

        var w = new WeightMatrix("w", GgmlType.F16, Rows, Columns, weightBytes.Pointer);
        using var x = new NativeBuffer<float>((long)Tokens * Columns);
        KQuantTestData.RandomFloats(Tokens * Columns, seed: 4).CopyTo(x.Span);
        using var one = new ComputePool(1);
        using var three = new ComputePool(3);
        using var single = new MatMul(one);
        using var threaded = new MatMul(three);
        using var a = new NativeBuffer<float>((long)Tokens * Rows);
        using var b = new NativeBuffer<float>((long)Tokens * Rows);
        single.SetInput(x.Pointer, Tokens, Columns);
        single.Multiply(w, a.Pointer);
        threaded.SetInput(x.Pointer, Tokens, Columns);
        threaded.Multiply(w, b.Pointer);
        Assert.True(a.Span.SequenceEqual(b.Span));
    }
}
