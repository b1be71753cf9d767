// PSI with its stated conventions, quantile edges, ROC AUC and the squared-distance kernel against its scalar reference; small cases checked by hand.
using Quill.Monitoring.Statistics;

namespace Quill.Monitoring.Tests.Statistics;

public sealed class BinnedStatisticsTests
{
    [Fact]
    public void PsiOfTwoBinsIsTheHandValue()
    {
        PsiResult psi = PopulationStability.Of(["a", "b"], [0.5, 0.5], [0.25, 0.75]);
        double expected = (0.25 - 0.5) * Math.Log(0.25 / 0.5) + (0.75 - 0.5) * Math.Log(0.75 / 0.5); // 0.2747
        Assert.Equal(expected, psi.Value, 12);
        Assert.Equal("significant", psi.Level);
    }

    [Fact]
    public void PsiFloorsAnEmptyBin()
    {
        PsiResult psi = PopulationStability.Of(["a", "b"], [1, 0], [0.5, 0.5]);
        double expected = (0.5 - 1) * Math.Log(0.5) + (0.5 - PopulationStability.Floor) * Math.Log(0.5 / PopulationStability.Floor);
        Assert.Equal(expected, psi.Value, 12);
        Assert.True(double.IsFinite(psi.Value));
    }

    [Fact]
    public void PsiLevelsFollowTheConvention()
    {
        Assert.Equal("none", PopulationStability.Of(["a", "b"], [0.5, 0.5], [0.52, 0.48]).Level);
        Assert.Equal("moderate", PopulationStability.Of(["a", "b"], [0.5, 0.5], [0.33, 0.67]).Level);
    }

    [Fact]
    public void NumbersAreBinnedAtReferenceQuantiles()
    {
        double[] reference = [.. Enumerable.Range(1, 11).Select(i => (double)i)];
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], PopulationStability.QuantileEdges(reference, 10));
        PsiResult same = PopulationStability.OfNumbers(reference, reference);
        Assert.Equal(0, same.Value);
        Assert.Equal(10, same.Bins.Count);
        Assert.Equal([1, 1], PopulationStability.QuantileEdges([1, 1, 1], 10)); // a constant reference is one bin
        Assert.Equal([0.5, 0.5], Histogram.Shares([-5, 7], [0, 5, 6])); // outer bins are open: -5 counts in the first, 7 in the last
    }

    [Fact]
    public void RocAucCountsTiesAsHalf()
    {
        Assert.Equal(1, RocAuc.Of([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]));
        Assert.Equal(0.5, RocAuc.Of([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]));
        Assert.Equal(0.75, RocAuc.Of([0.1, 0.6, 0.4, 0.9], [0, 0, 1, 1]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(384)]
    [InlineData(4097)]
    public void SquaredDistanceMatchesItsScalarReference(int length)
    {
        var random = new Random(length);
        float[] a = [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f)];
        double reference = SquaredDistance.Reference(a, b), run = SquaredDistance.Run(a, b);
        Assert.True(Math.Abs(run - reference) <= 1e-5 * Math.Max(reference, 1e-30), $"length {length}: SIMD {run}, scalar {reference}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(384)]
    [InlineData(4097)]
    public void VectorKernelsMatchTheirScalarReferences(int length)
    {
        var random = new Random(length + 1);
        double[] x = [.. Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5)];
        double[] y = [.. Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5)];
        double scale = x.Zip(y, (a, b) => Math.Abs(a * b)).Sum();
        Assert.True(Math.Abs(VectorKernels.Dot(x, y) - VectorKernels.DotReference(x, y)) <= 1e-14 * Math.Max(scale, 1e-300), $"dot, length {length}");
        double[] fast = (double[])y.Clone(), slow = (double[])y.Clone();
        VectorKernels.MultiplyAdd(0.37, x, fast);
        VectorKernels.MultiplyAddReference(0.37, x, slow);
        for (int i = 0; i < length; i++) Assert.True(Math.Abs(fast[i] - slow[i]) <= 1e-15, $"a·x + y [{i}] of {length}: {fast[i]} vs {slow[i]}");
    }

    [Fact]
    public void MmdAndTheDomainClassifierSeparateShiftedClouds()
    {
        var random = new Random(5);
        float[] Point(double shift) => [.. Enumerable.Range(0, 8).Select(_ => (float)SampleData.Normal(random, shift))];
        float[][] x = [.. Enumerable.Range(0, 60).Select(_ => Point(0))], y = [.. Enumerable.Range(0, 60).Select(_ => Point(1))];
        float[][] z = [.. Enumerable.Range(0, 60).Select(_ => Point(0))];
        Assert.True(MaximumMeanDiscrepancy.Test(x, y).PValue < 0.01);
        Assert.True(MaximumMeanDiscrepancy.Test(x, z).PValue > 0.05);
        Assert.True(DomainClassifier.Test(x, y).Drift);
        Assert.False(DomainClassifier.Test(x, z).Drift);
    }
}
