// A binary logistic regression over embedding vectors: full-batch gradient descent with L2 and balanced class weights; not a general optimizer.
namespace Quill.Safety;

/// <summary>
/// p(injection | x) = σ(w·x + b). Trained by full-batch gradient descent on the mean class-weighted log loss plus
/// λ/2·|w|², classes weighted so that each contributes half of the loss whatever their counts.
/// </summary>
public sealed class LogisticRegression(float[] weights, float bias)
{
    /// <summary>One weight per vector dimension.</summary>
    public float[] Weights { get; } = weights;

    /// <summary>The intercept.</summary>
    public float Bias { get; } = bias;

    /// <summary>σ(w·x + b).</summary>
    public double Probability(ReadOnlySpan<float> x)
    {
        if (x.Length != Weights.Length) throw new ArgumentException($"expected a {Weights.Length}-dimensional vector, found {x.Length}", nameof(x));
        double z = Bias;
        for (int i = 0; i < x.Length; i++) z += (double)Weights[i] * x[i];
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>Fits on <paramref name="vectors"/> with labels (true = injection); deterministic.</summary>
    public static LogisticRegression Train(IReadOnlyList<float[]> vectors, IReadOnlyList<bool> labels, double l2 = 1e-3, int steps = 3000,
        double learningRate = 4.0)
    {
        if (vectors.Count == 0 || vectors.Count != labels.Count) throw new ArgumentException("expected as many labels as vectors, and some of each");
        int d = vectors[0].Length, positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException($"expected both classes, found {positives} injections and {negatives} benign");
        double wPos = 0.5 / positives, wNeg = 0.5 / negatives;
        var w = new double[d];
        double b = 0;
        var grad = new double[d];
        for (int step = 0; step < steps; step++)
        {
            Array.Clear(grad);
            double gradB = 0;
            for (int n = 0; n < vectors.Count; n++)
            {
                float[] x = vectors[n];
                double z = b;
                for (int i = 0; i < d; i++) z += w[i] * x[i];
                double p = 1 / (1 + Math.Exp(-z));
                double e = (p - (labels[n] ? 1 : 0)) * (labels[n] ? wPos : wNeg);
                for (int i = 0; i < d; i++) grad[i] += e * x[i];
                gradB += e;
            }
            for (int i = 0; i < d; i++) w[i] -= learningRate * (grad[i] + l2 * w[i]);
            b -= learningRate * gradB;
        }
        return new LogisticRegression([.. w.Select(v => (float)v)], (float)b);
    }
}
