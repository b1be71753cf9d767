// The two-sample Kolmogorov–Smirnov test, two-sided, exactly as scipy.stats.ks_2samp(method="auto").
namespace Quill.Monitoring.Statistics;

/// <summary>The KS statistic D (the largest gap between the two empirical CDFs) and its p-value.</summary>
/// <param name="Statistic">D; on the exact path SciPy rounds it to the lattice, h / lcm(n1, n2), and so does this.</param>
/// <param name="PValue">Pr(D ≥ observed) under the null hypothesis that both samples share one distribution.</param>
/// <param name="Exact">True when the p-value came from the exact lattice-path count, false from the asymptotic distribution.</param>
public sealed record KsResult(double Statistic, double PValue, bool Exact);

/// <summary>
/// SciPy 1.10's rules: both samples sorted, the ECDFs compared at every pooled value with searchsorted(side="right")
/// (so ties count once, at their right edge). When max(n1, n2) ≤ 10,000 the exact p-value is tried:
/// <c>_compute_prob_outside_square</c> when n1 = n2, else the inside method's 1 − p recursion (Viehmann 2021); an
/// overflow or a value outside [0, 1] falls back to the asymptotic one, as SciPy's does. Beyond,
/// kstwo.sf(D, round(n1·n2/(n1+n2))) (<see cref="KolmogorovDistribution"/>).
/// </summary>
public static class KolmogorovSmirnov
{
    /// <summary>Largest sample size for which the exact p-value is attempted (SciPy's MAX_AUTO_N).</summary>
    public const int MaxExactSize = 10_000;

    /// <summary>The two-sided two-sample test of <paramref name="first"/> against <paramref name="second"/>.</summary>
    public static KsResult TwoSample(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        if (first.Length == 0 || second.Length == 0) throw new ArgumentException("the KS test needs two non-empty samples");
        double[] a = first.ToArray(), b = second.ToArray();
        Array.Sort(a);
        Array.Sort(b);
        int n1 = a.Length, n2 = b.Length;
        double maxS = double.NegativeInfinity, minDiff = double.PositiveInfinity;
        foreach (double[] side in (double[][])[a, b])
        {
            foreach (double value in side)
            {
                double diff = (double)UpperBound(a, value) / n1 - (double)UpperBound(b, value) / n2;
                maxS = Math.Max(maxS, diff);
                minDiff = Math.Min(minDiff, diff);
            }
        }
        double minS = Math.Clamp(-minDiff, 0, 1);
        double d = minS > maxS ? minS : maxS;
        int g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(n1, n2);
        if (Math.Max(n1, n2) <= MaxExactSize && TryExact(n1, n2, g, d, out double exactD, out double exactP))
            return new KsResult(exactD, exactP, true);
        double m = Math.Max(n1, n2), n = Math.Min(n1, n2);
        double en = m * n / (m + n);
        return new KsResult(d, Math.Clamp(KolmogorovDistribution.Survival((int)Math.Round(en, MidpointRounding.ToEven), d), 0, 1), false);
    }

    /// <summary>Index of the first element greater than <paramref name="value"/> (numpy searchsorted, side="right").</summary>
    private static int UpperBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static bool TryExact(int n1, int n2, int g, double d, out double latticeD, out double p)
    {
        long lcm = (long)(n1 / g) * n2;
        long h = (long)Math.Round(d * lcm, MidpointRounding.ToEven);
        latticeD = h * 1.0 / lcm;
        if (h == 0)
        {
            p = 1;
            return true;
        }
        p = n1 == n2 ? ProbabilityOutsideSquare(n1, (int)h) : OuterProbabilityInside(n1, n2, g, h);
        return double.IsFinite(p) && p is >= 0 and <= 1;
    }

    /// <summary>Pr(D_{n,n} ≥ h/n) = 2 Σ ±C(2n, n − kh)/C(2n, n), evaluated Horner-like as SciPy's _compute_prob_outside_square.</summary>
    internal static double ProbabilityOutsideSquare(int n, int h)
    {
        double p = 0;
        for (int k = n / h; k >= 0; k--)
        {
            double p1 = 1;
            for (int j = 0; j < h; j++) p1 = (n - (double)k * h - j) * p1 / (n + (double)k * h + j + 1);
            p = p1 * (1 - p);
        }
        return 2 * p;
    }

    /// <summary>
    /// The share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| &lt; h/lcm(m,n), by the 1 − p
    /// recursion over one sliding column (SciPy's _compute_outer_prob_inside_method).
    /// </summary>
    internal static double OuterProbabilityInside(int m, int n, int g, long h)
    {
        if (m < n) (m, n) = (n, m);
        long mg = m / g, ng = n / g;
        int minj = 0, maxj = (int)Math.Min((long)Math.Ceiling((double)h / mg), n + 1);
        int curlen = maxj - minj;
        int lenA = Math.Min(2 * maxj + 2, n + 1);
        var A = new double[lenA];
        Array.Fill(A, 1.0);
        for (int j = minj; j < maxj; j++) A[j] = 0;
        for (int i = 1; i <= m; i++)
        {
            int lastminj = minj, lastlen = curlen;
            minj = (int)Math.Max((long)Math.Floor((double)(ng * i - h) / mg) + 1, 0);
            minj = Math.Min(minj, n);
            maxj = (int)Math.Min((long)Math.Ceiling((double)(ng * i + h) / mg), n + 1);
            if (maxj <= minj) return 1.0;
            double val = minj == 0 ? 0.0 : 1.0;
            for (int jj = 0; jj < maxj - minj; jj++)
            {
                int j = jj + minj;
                val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
                A[jj] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen)
            {
                for (int c = maxj - minj; c < Math.Min(maxj - minj + (lastlen - curlen), lenA); c++) A[c] = 1;
            }
        }
        return A[maxj - minj - 1];
    }
}
