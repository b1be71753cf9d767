// A binary logistic regression over dense vectors plus optional hashed word and character n-gram features: full-batch gradient descent with L2.
namespace Quill.Safety;

/// <summary>
/// p(injection | x, s, c) = σ(w·x + Σ_j v[s_j]/√|s| + g·Σ_k u[c_k]/√|c| + b), where x is a dense vector, s a set of hashed
/// word ids (each worth 1/√|s|, so the word part has unit norm like the embedding) and c a set of hashed character n-gram
/// ids (the same, times the gram value g). Trained by full-batch gradient descent on the mean weighted log loss plus
/// λ/2·(|w|² + |v|² + |u|²); each class contributes half of the loss whatever its count, and within a class each row counts
/// by its sample weight.
/// </summary>
public sealed class LogisticRegression(float[] weights, float bias, float[]? wordWeights = null, float[]? gramWeights = null, float gramValue = 1f)
{
    /// <summary>One weight per dense dimension.</summary>
    public float[] Weights { get; } = weights;

    /// <summary>The intercept.</summary>
    public float Bias { get; } = bias;

    /// <summary>One weight per hashed word bucket; empty when the model reads no words.</summary>
    public float[] WordWeights { get; } = wordWeights ?? [];

    /// <summary>One weight per hashed character n-gram bucket; empty when the model reads no n-grams.</summary>
    public float[] GramWeights { get; } = gramWeights ?? [];

    /// <summary>The norm of a row's n-gram part (g): each of its |c| n-grams is worth g/√|c|.</summary>
    public float GramValue { get; } = gramValue;

    /// <summary>
    /// σ(w·x + Σ v[s_j]/√|s| + g·Σ u[c_k]/√|c| + b); <paramref name="words"/> and <paramref name="grams"/> are bucket ids
    /// below <see cref="WordWeights"/>' and <see cref="GramWeights"/>' lengths, ignored when the model has no such weights.
    /// </summary>
    public double Probability(ReadOnlySpan<float> x, ReadOnlySpan<int> words = default, ReadOnlySpan<int> grams = default)
    {
        if (x.Length != Weights.Length) throw new ArgumentException($"expected a {Weights.Length}-dimensional vector, found {x.Length}", nameof(x));
        double z = Bias;
        for (int i = 0; i < x.Length; i++) z += (double)Weights[i] * x[i];
        z += Sparse(WordWeights, words, 1);
        z += Sparse(GramWeights, grams, GramValue);
        return 1 / (1 + Math.Exp(-z));
    }

    private static double Sparse(float[] weights, ReadOnlySpan<int> ids, double value)
    {
        if (ids.Length == 0 || weights.Length == 0) return 0;
        double sum = 0;
        foreach (int j in ids) sum += weights[j];
        return value / Math.Sqrt(ids.Length) * sum;
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
    /// <param name="grams">Per row, distinct hashed n-gram ids below <paramref name="gramBuckets"/>; null: no n-gram features.</param>
    /// <param name="gramBuckets">The number of n-gram buckets.</param>
    /// <param name="gramValue">The norm of a row's n-gram part (<see cref="GramValue"/>).</param>
    public static LogisticRegression Train(IReadOnlyList<float[]> vectors, IReadOnlyList<bool> labels, IReadOnlyList<int[]>? words = null,
        int wordBuckets = 0, IReadOnlyList<double>? sampleWeights = null, double l2 = 1e-4, int steps = 3000, double learningRate = 4.0,
        IReadOnlyList<int[]>? grams = null, int gramBuckets = 0, float gramValue = 1f)
    {
        if (vectors.Count == 0 || vectors.Count != labels.Count) throw new ArgumentException("expected as many labels as vectors, and some of each");
        int d = vectors[0].Length, positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException($"expected both classes, found {positives} injections and {negatives} benign");
        double[] sample = [.. Enumerable.Range(0, vectors.Count).Select(n => sampleWeights?[n] ?? 1.0)];
        double positiveMass = Enumerable.Range(0, sample.Length).Where(n => labels[n]).Sum(n => sample[n]);
        double negativeMass = sample.Sum() - positiveMass;
        var w = new double[d];
        var v = new double[words is null ? 0 : wordBuckets];
        var u = new double[grams is null ? 0 : gramBuckets];
        double b = 0;
        var grad = new double[d];
        var gradV = new double[v.Length];
        var gradU = new double[u.Length];
        for (int step = 0; step < steps; step++)
        {
            Array.Clear(grad);
            Array.Clear(gradV);
            Array.Clear(gradU);
            double gradB = 0;
            for (int n = 0; n < vectors.Count; n++)
            {
                float[] x = vectors[n];
                int[] s = words?[n] ?? [], c = grams?[n] ?? [];
                double scale = s.Length == 0 ? 0 : 1 / Math.Sqrt(s.Length), gramScale = c.Length == 0 ? 0 : gramValue / Math.Sqrt(c.Length);
                double z = b;
                for (int i = 0; i < d; i++) z += w[i] * x[i];
                foreach (int j in s) z += scale * v[j];
                foreach (int k in c) z += gramScale * u[k];
                double p = 1 / (1 + Math.Exp(-z));
                double e = (p - (labels[n] ? 1 : 0)) * 0.5 * sample[n] / (labels[n] ? positiveMass : negativeMass);
                for (int i = 0; i < d; i++) grad[i] += e * x[i];
                foreach (int j in s) gradV[j] += e * scale;
                foreach (int k in c) gradU[k] += e * gramScale;
                gradB += e;
            }
            for (int i = 0; i < d; i++) w[i] -= learningRate * (grad[i] + l2 * w[i]);
            for (int j = 0; j < v.Length; j++) v[j] -= learningRate * (gradV[j] + l2 * v[j]);
            for (int k = 0; k < u.Length; k++) u[k] -= learningRate * (gradU[k] + l2 * u[k]);
            b -= learningRate * gradB;
        }
        return new LogisticRegression([.. w.Select(x => (float)x)], (float)b, [.. v.Select(x => (float)x)], [.. u.Select(x => (float)x)], gramValue);
    }
}
