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
            rows(w, rowBytes, 2, (byte*)px, k, py);

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
}
