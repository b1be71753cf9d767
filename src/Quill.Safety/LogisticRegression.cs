// A binary logistic regression over dense vectors plus optional hashed word features: full-batch gradient descent with L2, balanced classes.
namespace Quill.Safety;

/// <summary>
/// p(injection | x, s) = σ(w·x + Σ_j v[s_j]/√|s| + b), where x is a dense vector and s a set of hashed word ids (each
/// worth 1/√|s|, so the word part has unit norm like the embedding). Trained by full-batch gradient descent on the mean
/// weighted log loss plus λ/2·(|w|² + |v|²); each class contributes half of the loss whatever its count, and within a
/// class each row counts by its sample weight.
/// </summary>
public sealed class LogisticRegression(float[] weights, float bias, float[]? wordWeights = null)
{
    /// <summary>One weight per dense dimension.</summary>
    public float[] Weights { get; } = weights;

    /// <summary>The intercept.</summary>
    public float Bias { get; } = bias;

    /// <summary>One weight per hashed word bucket; empty when the model reads no words.</summary>
    public float[] WordWeights { get; } = wordWeights ?? [];

    /// <summary>σ(w·x + Σ v[s_j]/√|s| + b); <paramref name="words"/> are bucket ids below <see cref="WordWeights"/>' length.</summary>
    public double Probability(ReadOnlySpan<float> x, ReadOnlySpan<int> words = default)
    {
        if (x.Length != Weights.Length) throw new ArgumentException($"expected a {Weights.Length}-dimensional vector, found {x.Length}", nameof(x));
        double z = Bias;
        for (int i = 0; i < x.Length; i++) z += (double)Weights[i] * x[i];
        if (words.Length > 0 && WordWeights.Length > 0)
        {
            double scale = 1 / Math.Sqrt(words.Length), sum = 0;
            foreach (int j in words) sum += WordWeights[j];
            z += scale * sum;
        }
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>Fits on <paramref name="vectors"/> with labels (true = injection); deterministic.</summary>
    /// <param name="vectors">Dense inputs, all of one length.</param>
    /// <param name="labels">True for the positive class.</param>
    /// <param name="words">Per row, distinct hashed word ids below <paramref name="wordBuckets"/>; null: no word features.</param>
    /// <param name="wordBuckets">The number of word buckets.</param>
    /// <param name="sampleWeights">Per row, its weight within its class; null: all equal.</param>
    /// <param name="l2">λ.</param>
    /// <param name="steps">Gradient steps.</param>
    /// <param name="learningRate">Step size.</param>
    public static LogisticRegression Train(IReadOnlyList<float[]> vectors, IReadOnlyList<bool> labels, IReadOnlyList<int[]>? words = null,
        int wordBuckets = 0, IReadOnlyList<double>? sampleWeights = null, double l2 = 1e-4, int steps = 3000, double learningRate = 4.0)
    {
        if (vectors.Count == 0 || vectors.Count != labels.Count) throw new ArgumentException("expected as many labels as vectors, and some of each");
        int d = vectors[0].Length, positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException($"expected both classes, found {positives} injections and {negatives} benign");
        double[] sample = [.. Enumerable.Range(0, vectors.Count).Select(n => sampleWeights?[n] ?? 1.0)];
        double positiveMass = Enumerable.Range(0, sample.Length).Where(n => labels[n]).Sum(n => sample[n]);
        double negativeMass = sample.Sum() - positiveMass;
        var w = new double[d];
        var v = new double[words is null ? 0 : wordBuckets];
        double b = 0;
        var grad = new double[d];
        var gradV = new double[v.Length];
        for (int step = 0; step < steps; step++)
        {
            Array.Clear(grad);
            Array.Clear(gradV);
            double gradB = 0;
            for (int n = 0; n < vectors.Count; n++)
            {
                float[] x = vectors[n];
                int[] s = words?[n] ?? [];
                double scale = s.Length == 0 ? 0 : 1 / Math.Sqrt(s.Length);
                double z = b;
                for (int i = 0; i < d; i++) z += w[i] * x[i];
                foreach (int j in s) z += scale * v[j];
                double p = 1 / (1 + Math.Exp(-z));
                double e = (p - (labels[n] ? 1 : 0)) * 0.5 * sample[n] / (labels[n] ? positiveMass : negativeMass);
                for (int i = 0; i < d; i++) grad[i] += e * x[i];
                foreach (int j in s) gradV[j] += e * scale;
                gradB += e;
            }
            for (int i = 0; i < d; i++) w[i] -= learningRate * (grad[i] + l2 * w[i]);
            for (int j = 0; j < v.Length; j++) v[j] -= learningRate * (gradV[j] + l2 * v[j]);
            b -= learningRate * gradB;
        }
        return new LogisticRegression([.. w.Select(x => (float)x)], (float)b, [.. v.Select(x => (float)x)]);
    }
}
