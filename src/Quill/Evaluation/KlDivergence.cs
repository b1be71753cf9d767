// The statistics llama-perplexity's --kl-divergence prints: how far a model's next-token distributions are from a base model's.
namespace Quill.Evaluation;

/// <summary>A value with its standard error.</summary>
public readonly record struct Estimate(double Value, double Error);

/// <summary>
/// Percentiles of one statistic over the scored tokens: the value at rank ⌊f·(n−1)⌉ of the sorted values (nearest rank),
/// for f = 1 (maximum), 0.999, 0.99, 0.95, 0.90, 0.75, 0.5 (median), 0.25, 0.10, 0.05, 0.01, 0.001 and 0 (minimum).
/// </summary>
public sealed record Percentiles(double Maximum, double P999, double P99, double P95, double P90, double P75, double Median, double P25, double P10,
    double P05, double P01, double P001, double Minimum)
{
    internal static Percentiles Of(List<double> values)
    {
        values.Sort();
        double At(double f) => values.Count == 0 ? double.NaN : values[(int)Math.Round(f * (values.Count - 1), MidpointRounding.AwayFromZero)];
        return new Percentiles(At(1), At(0.999), At(0.99), At(0.95), At(0.90), At(0.75), At(0.5), At(0.25), At(0.10), At(0.05), At(0.01), At(0.001), At(0));
    }
}

/// <summary>
/// The base-versus-model comparison llama-perplexity prints with --kl-divergence: both perplexities, the mean of
/// ln(PPL(Q)/PPL(base)) and the ratio, the correlation of the per-token log-likelihoods, the KL divergence
/// KL(base ‖ model) per token (mean ± error and percentiles), Δp = p_model(token) − p_base(token) (mean ± error, RMS,
/// percentiles), and how often both put the same token on top.
/// </summary>
public sealed record KlDivergenceStatistics(
    Estimate Perplexity,
    Estimate BasePerplexity,
    double LogPerplexityCorrelation,
    Estimate MeanLogPerplexityRatio,
    double PerplexityRatio,
    Estimate MeanKlDivergence,
    Percentiles KlDivergence,
    Estimate MeanDeltaP,
    Estimate RmsDeltaP,
    Percentiles DeltaP,
    Estimate SameTopP);

/// <summary>Collects per-token KL divergence, Δp and top-token agreement, then summarizes them.</summary>
internal sealed class KlDivergenceAccumulator(int capacity)
{
    private readonly List<double> _kld = new(capacity), _deltaP = new(capacity);
    private int _sameTop;

    /// <summary>One scored position: the base and model logits, and the token that followed.</summary>
    public void Add(ReadOnlySpan<float> baseLogits, ReadOnlySpan<float> logits, int token)
    {
        (double baseMax, double baseLogSum, int baseTop) = LogSumExp(baseLogits);
        (double max, double logSum, int top) = LogSumExp(logits);
        double kld = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double baseLog = baseLogits[i] - baseMax - baseLogSum;
            double log = logits[i] - max - logSum;
            double p = Math.Exp(baseLog);
            if (p > 0) kld += p * (baseLog - log);
        }
        _kld.Add(kld);
        _deltaP.Add(Math.Exp(logits[token] - max - logSum) - Math.Exp(baseLogits[token] - baseMax - baseLogSum));
        if (top == baseTop) _sameTop++;
    }

    private static (double Max, double LogSum, int Top) LogSumExp(ReadOnlySpan<float> logits)
    {
        int top = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[top]) top = i;
        double max = logits[top], sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return (max, Math.Log(sum), top);
    }

    public KlDivergenceStatistics Finish(IReadOnlyList<double> nll, IReadOnlyList<double> baseNll)
    {
        int n = nll.Count;
        (double ppl, double pplError) = PerplexityEvaluator.PerplexityOf(nll);
        (double basePpl, double basePplError) = PerplexityEvaluator.PerplexityOf(baseNll);
        var logRatio = new double[n];
        for (int i = 0; i < n; i++) logRatio[i] = nll[i] - baseNll[i];
        Estimate meanLogRatio = MeanOf(logRatio);
        double same = (double)_sameTop / n;
        return new KlDivergenceStatistics(
            new Estimate(ppl, pplError),
            new Estimate(basePpl, basePplError),
            Correlation(nll, baseNll),
            meanLogRatio,
            Math.Exp(meanLogRatio.Value),
            MeanOf(_kld),
            Percentiles.Of([.. _kld]),
            MeanOf(_deltaP),
            Rms(_deltaP),
            Percentiles.Of([.. _deltaP]),
            new Estimate(same, n > 1 ? Math.Sqrt(same * (1 - same) / (n - 1)) : 0));
    }

    private static Estimate MeanOf(IReadOnlyList<double> values)
    {
        int n = values.Count;
        double sum = 0, squares = 0;
        foreach (double v in values)
        {
            sum += v;
            squares += v * v;
        }
        double mean = sum / n, variance = squares / n - mean * mean;
        return new Estimate(mean, n > 1 && variance > 0 ? Math.Sqrt(variance / (n - 1)) : 0);
    }

    /// <summary>√mean(x²), its error by the delta method from the error of mean(x²).</summary>
    private static Estimate Rms(IReadOnlyList<double> values)
    {
        var squares = new double[values.Count];
        for (int i = 0; i < squares.Length; i++) squares[i] = values[i] * values[i];
        Estimate meanSquare = MeanOf(squares);
        double rms = Math.Sqrt(meanSquare.Value);
        return new Estimate(rms, rms > 0 ? meanSquare.Error / (2 * rms) : 0);
    }

    private static double Correlation(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        int n = a.Count;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++)
        {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < n; i++)
        {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }
        return va > 0 && vb > 0 ? cov / Math.Sqrt(va * vb) : double.NaN;
    }
}
