// Binary logistic regression with an L2 penalty, fitted by full-batch gradient descent; small and deterministic, for the domain classifier.
namespace Quill.Monitoring.Statistics;

/// <summary>
/// p(y = 1 | x) = σ(w·x + b). Fit minimises the mean log-loss plus λ/2‖w‖² by <see cref="Iterations"/> steps of
/// gradient descent with Nesterov momentum on features standardised with the training mean and deviation.
/// </summary>
public sealed class LogisticRegression
{
    /// <summary>Gradient steps per fit.</summary>
    public const int Iterations = 150;

    private readonly double[] _weights, _mean, _scale;
    private readonly double _bias;

    private LogisticRegression(double[] weights, double bias, double[] mean, double[] scale)
    {
        _weights = weights;
        _bias = bias;
        _mean = mean;
        _scale = scale;
    }

    /// <summary>Fits <paramref name="x"/> (rows of one length) to <paramref name="y"/> (0 or 1).</summary>
    public static LogisticRegression Fit(IReadOnlyList<float[]> x, IReadOnlyList<int> y, double lambda = 1e-2, double learningRate = 0.5)
    {
        int n = x.Count, d = x[0].Length;
        var mean = new double[d];
        var scale = new double[d];
        foreach (float[] row in x) for (int j = 0; j < d; j++) mean[j] += row[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        foreach (float[] row in x) for (int j = 0; j < d; j++) scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        for (int j = 0; j < d; j++) scale[j] = Math.Sqrt(scale[j] / n) is var s && s > 1e-12 ? 1 / s : 1;
        var z = new double[n][];
        for (int i = 0; i < n; i++)
        {
            z[i] = new double[d];
            for (int j = 0; j < d; j++) z[i][j] = (x[i][j] - mean[j]) * scale[j];
        }
        var w = new double[d];
        var velocity = new double[d];
        double b = 0, vb = 0;
        const double momentum = 0.9;
        var gradient = new double[d];
        var look = new double[d];
        for (int step = 0; step < Iterations; step++)
        {
            for (int j = 0; j < d; j++) look[j] = w[j] + momentum * velocity[j];
            double lookB = b + momentum * vb, gb = 0;
            Array.Clear(gradient);
            for (int i = 0; i < n; i++)
            {
                double error = Sigmoid(lookB + VectorKernels.Dot(look, z[i])) - y[i];
                gb += error;
                VectorKernels.MultiplyAdd(error, z[i], gradient);
            }
            for (int j = 0; j < d; j++)
            {
                velocity[j] = momentum * velocity[j] - learningRate * (gradient[j] / n + lambda * look[j]);
                w[j] += velocity[j];
            }
            vb = momentum * vb - learningRate * gb / n;
            b += vb;
        }
        return new LogisticRegression(w, b, mean, scale);
    }

    /// <summary>p(y = 1 | <paramref name="row"/>).</summary>
    public double Score(float[] row)
    {
        double t = _bias;
        for (int j = 0; j < _weights.Length; j++) t += _weights[j] * (row[j] - _mean[j]) * _scale[j];
        return Sigmoid(t);
    }

    private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));
}
