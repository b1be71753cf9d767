// Checks the GgmlType -> kernels table: every legacy type is there and wired to the right kernels.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class QuantFormatsTests
{
    [Theory]
    [InlineData(GgmlType.F32, GgmlType.F32)]
    [InlineData(GgmlType.F16, GgmlType.F32)]
    [InlineData(GgmlType.BF16, GgmlType.F32)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_1, GgmlType.Q8_1)]
    [InlineData(GgmlType.Q5_0, GgmlType.Q8_0)]
    [InlineData(GgmlType.Q5_1, GgmlType.Q8_1)]
    public void Get_ReturnsWorkingKernels(GgmlType type, GgmlType activationType)
    {
        QuantFormat format = QuantFormats.Get(type);
        Assert.Equal(type, format.Type);
        Assert.Equal(activationType, format.ActivationType);

        const int Elements = 1056;
        float[] w = QuantTestData.Floats(Elements, seed: 41);
        float[] x = QuantTestData.Floats(Elements, seed: 42);
        var weightRow = new byte[format.RowBytes(Elements)];
        var activationRow = new byte[format.ActivationRowBytes(Elements)];
        Assert.NotNull(format.Quantize);
        format.Quantize(w, weightRow);
        format.QuantizeActivations(x, activationRow);

        var dequantized = new float[Elements];
        var reference = new float[Elements];
        format.Dequantize(weightRow, dequantized);
        format.DequantizeReference(weightRow, reference);
        Assert.Equal(reference, dequantized);

        double exact = w.Zip(x, (a, b) => (double)a * b).Sum();
        double magnitude = w.Zip(x, (a, b) => Math.Abs((double)a * b)).Sum();
        float dot = format.Dot(weightRow, activationRow);
        Assert.True(QuantTestData.RelativeError(dot, format.DotReference(weightRow, activationRow), magnitude) <= QuantTolerances.DotRelative);
        Assert.True(QuantTestData.RelativeError(dot, exact, magnitude) <= 0.05, $"{type}: dot {dot}, float {exact}");
    }

    [Theory]
    [InlineData(GgmlType.I8)]
    [InlineData(GgmlType.F64)]
    [InlineData(GgmlType.Q8_1)]
    [InlineData((GgmlType)999)]
    public void Get_UnsupportedType_Throws(GgmlType type)
    {
        Assert.Throws<NotSupportedException>(() => QuantFormats.Get(type));
        Assert.False(QuantFormats.TryGet(type, out _));
    }
}
