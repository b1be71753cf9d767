// The F16/BF16 four-row decode kernel against the row dot it must equal bit for bit, and against the double-sum reference, on odd sizes.
using System.Runtime.InteropServices;
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public sealed unsafe class HalfWidthRowsTests
{
    public static TheoryData<GgmlType, int> Sizes()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
            foreach (int k in new[] { 1, 15, 16, 31, 32, 33, 48, 768, 4097 })
                data.Add(type, k);
        return data;
    }

    [Theory, MemberData(nameof(Sizes))]
    public void EachRowEqualsTheRowDotAndIsNearTheReference(GgmlType type, int k)
    {
        var format = QuantFormats.Get(type);
        if (format.Rows is not { } rows) return; // only where the row dot runs at 512 bits
        int rowBytes = format.RowBytes(k);
        float[] weightsAsFloats = KQuantTestData.RandomFloats(4 * k, seed: k);
        var weights = new byte[rowBytes * 4];
        for (int r = 0; r < 4; r++)
            format.Quantize!(weightsAsFloats.AsSpan(r * k, k), weights.AsSpan(r * rowBytes, rowBytes));
        float[] x = KQuantTestData.RandomFloats(k, seed: 3 * k + 1);
        var y = new float[4];
        fixed (byte* w = weights)
        fixed (float* px = x)
        fixed (float* py = y)
            rows(w, rowBytes, 64, (byte*)px, k, py);
        if (WeightMatrix.CanInterleaveRows(type, 4, k))
        {
            // The same rows as a load-time interleaved group: the same bits.
            var fromGroup = new float[4];
            fixed (byte* w = Interleaved(type, weights, k))
            fixed (float* px = x)
            fixed (float* py = fromGroup)
                rows(w, 64, 256, (byte*)px, k, py);
            Assert.Equal(y, fromGroup);
        }

        ReadOnlySpan<byte> activations = MemoryMarshal.AsBytes(x.AsSpan());
        for (int r = 0; r < 4; r++)
        {
            ReadOnlySpan<byte> row = weights.AsSpan(r * rowBytes, rowBytes);
            float dot = format.Dot(row, activations), reference = format.DotReference(row, activations);
            Assert.True(y[r].Equals(dot), $"{type} K={k} row {r}: four-row kernel {y[r]:R}, row dot {dot:R}");
            Assert.True(Math.Abs(y[r] - reference) <= QuantTolerances.DotRelative * (1 + Math.Abs(reference)) * Math.Sqrt(k),
                $"{type} K={k} row {r}: four-row kernel {y[r]:R}, reference {reference:R}");
        }
    }

    /// <summary>
    /// A copy of row-major rows of <paramref name="type"/> (a multiple of four), interleaved as at load; checked to differ
    /// where K spans two chunks.
    /// </summary>
    internal static byte[] Interleaved(GgmlType type, byte[] rowMajor, int k)
    {
        var copy = (byte[])rowMajor.Clone();
        int rows = rowMajor.Length / QuantFormats.Get(type).RowBytes(k);
        fixed (byte* p = copy)
            Assert.True(new WeightMatrix("w", type, rows, k, p).InterleaveRowGroups().IsInterleaved);
        if (k > WeightMatrix.HalfWidthChunk) Assert.NotEqual(rowMajor, copy);
        return copy;
    }

    [Theory]
    [InlineData(GgmlType.F16, 48)]
    [InlineData(GgmlType.BF16, 33)]
    [InlineData(GgmlType.F16, 1)]
    public void RowsOfPartChunksAreNotInterleaved(GgmlType type, int k)
    {
        var bytes = new byte[4 * QuantFormats.Get(type).RowBytes(k)];
        fixed (byte* p = bytes)
        {
            var matrix = new WeightMatrix("w", type, 4, k, p);
            Assert.False(matrix.CanInterleave);
            var error = Assert.Throws<InvalidOperationException>(() => matrix.InterleaveRowGroups());
            Assert.Contains("'w'", error.Message);
        }
    }
}
