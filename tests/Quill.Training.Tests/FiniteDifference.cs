// Central finite differences of a scalar loss for checking analytic gradients; not a general autodiff.
namespace Quill.Training.Tests;

internal static class FiniteDifference
{
    /// <summary>Step added to and subtracted from each float value.</summary>
    public const float Step = 1e-3f;

    /// <summary>Largest accepted ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖) for float forwards.</summary>
    public const double GradientTolerance = 5e-3;

    public static float[] RandomValues(Random rng, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Σ r·y in double: the loss whose gradient with respect to y is r.</summary>
    public static double Project(ReadOnlySpan<float> r, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int i = 0; i < r.Length; i++) sum += (double)r[i] * y[i];
        return sum;
    }

    /// <summary>dL/dvalues[i] by (L(v + h) − L(v − h)) / (2h), with h the step as actually representable in float.</summary>
    public static double[] Gradient(float[] values, Func<double> loss, float step = Step)
    {
        var gradient = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float original = values[i];
            float plus = original + step, minus = original - step;
            values[i] = plus;
            double lossPlus = loss();
            values[i] = minus;
            double lossMinus = loss();
            values[i] = original;
            gradient[i] = (lossPlus - lossMinus) / ((double)plus - minus);
        }
        return gradient;
    }

    /// <summary>Asserts the analytic gradient matches central differences of <paramref name="loss"/> over <paramref name="values"/>.</summary>
    public static void AssertGradient(string what, float[] values, ReadOnlySpan<float> analytic, Func<double> loss,
        float step = Step, double tolerance = GradientTolerance)
    {
        var numeric = Gradient(values, loss, step);
        Assert.Equal(numeric.Length, analytic.Length);
        double diff = 0, a = 0, n = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            a += (double)analytic[i] * analytic[i];
            n += numeric[i] * numeric[i];
        }
        double error = Math.Sqrt(diff) / Math.Max(Math.Max(Math.Sqrt(a), Math.Sqrt(n)), 1e-12);
        Assert.True(error <= tolerance, $"{what}: relative gradient error {error:E2} > {tolerance:E0}");
        Assert.True(a > 0, $"{what}: the analytic gradient is all zero");
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, found {actual[i]}");
    }
}
