// Kullback–Leibler and Jensen–Shannon on binned distributions, natural log, as scipy.stats.entropy and scipy.spatial.distance.jensenshannon.
namespace Quill.Monitoring.Statistics;

/// <summary>
/// Both take counts or weights over the same bins and normalise each side to sum 1 first. KL is Σ p ln(p/q), 0 where
/// p = 0 and +∞ where p &gt; 0 = q (scipy.special.rel_entr). Jensen–Shannon is returned as SciPy's jensenshannon does:
/// the square root of the divergence ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2, so a distance in [0, √ln 2].
/// </summary>
public static class Divergence
{
    /// <summary>KL(p ‖ q) in nats.</summary>
    public static double KullbackLeibler(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        CheckBins(p, q);
        double sp = Sum(p), sq = Sum(q), kl = 0;
        for (int i = 0; i < p.Length; i++) kl += RelativeEntropy(p[i] / sp, q[i] / sq);
        return kl;
    }

    /// <summary>The Jensen–Shannon distance √JSD(p, q), natural log.</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        CheckBins(p, q);
        double sp = Sum(p), sq = Sum(q), left = 0, right = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double pi = p[i] / sp, qi = q[i] / sq, m = (pi + qi) / 2;
            left += RelativeEntropy(pi, m);
            right += RelativeEntropy(qi, m);
        }
        return Math.Sqrt((left + right) / 2);
    }

    private static double RelativeEntropy(double x, double y)
    {
        if (x > 0 && y > 0) return x * Math.Log(x / y);
        if (x == 0 && y >= 0) return 0;
        return double.PositiveInfinity;
    }

    private static double Sum(ReadOnlySpan<double> values)
    {
        double s = 0;
        foreach (double v in values) s += v;
        if (!(s > 0)) throw new ArgumentException("a distribution's bins must have a positive total");
        return s;
    }

    private static void CheckBins(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length) throw new ArgumentException($"the two distributions must have the same bins, found {p.Length} and {q.Length}");
        if (p.Length == 0) throw new ArgumentException("the distributions have no bins");
    }
}
