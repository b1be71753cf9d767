// The special functions the tests need, written out (Numerical Recipes / Cephes style): log-gamma, the regularized incomplete gamma, chi-square survival.
namespace Quill.Monitoring.Statistics;

/// <summary>
/// Double-precision special functions. <see cref="LogGamma"/> is Lanczos' approximation (g = 7, 9 terms, about 1e-15
/// relative); the incomplete gamma uses the series for x &lt; a + 1 and Lentz's continued fraction beyond, each to
/// machine precision, so that a chi-square survival value keeps its relative accuracy far into the tail.
/// </summary>
public static class SpecialFunctions
{
    private const double Epsilon = 1e-16;
    private const int MaxIterations = 100_000;
    private const double MaxLog = 7.09782712893383996843e2;

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (x <= 0) throw new ArgumentOutOfRangeException(nameof(x), x, "log-gamma is defined here for x > 0 only");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x); // reflection
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>The regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a) (SciPy's gammainc).</summary>
    public static double GammaP(double a, double x)
    {
        CheckGammaArguments(a, x);
        if (x == 0) return 0;
        return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
    }

    /// <summary>The regularized upper incomplete gamma Q(a, x) = 1 − P(a, x) (SciPy's gammaincc), accurate in the tail.</summary>
    public static double GammaQ(double a, double x)
    {
        CheckGammaArguments(a, x);
        if (x == 0) return 1;
        return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
    }

    /// <summary>The chi-square survival function with <paramref name="dof"/> degrees of freedom (SciPy's chi2.sf).</summary>
    public static double ChiSquareSurvival(double statistic, double dof)
    {
        if (dof <= 0) throw new ArgumentOutOfRangeException(nameof(dof), dof, "degrees of freedom must be positive");
        return statistic <= 0 ? 1 : GammaQ(dof / 2, statistic / 2);
    }

    /// <summary>ln of the binomial coefficient C(n, k).</summary>
    public static double LogBinomial(double n, double k) => LogGamma(n + 1) - LogGamma(k + 1) - LogGamma(n - k + 1);

    /// <summary>x^a e^−x / Γ(a); 0 when its log is under −709.78 (Cephes' MAXLOG guard, so SciPy's 0 is ours too).</summary>
    private static double Prefactor(double a, double x)
    {
        double log = -x + a * Math.Log(x) - LogGamma(a);
        return log < -MaxLog ? 0 : Math.Exp(log);
    }

    /// <summary>P(a, x) by its series Σ x^n / (a (a+1) … (a+n)), for x &lt; a + 1.</summary>
    private static double GammaSeries(double a, double x)
    {
        double ap = a, term = 1 / a, sum = term;
        for (int n = 0; n < MaxIterations; n++)
        {
            ap += 1;
            term *= x / ap;
            sum += term;
            if (Math.Abs(term) < Math.Abs(sum) * Epsilon) break;
        }
        return sum * Prefactor(a, x);
    }

    /// <summary>Q(a, x) by its continued fraction (modified Lentz), for x ≥ a + 1.</summary>
    private static double GammaContinuedFraction(double a, double x)
    {
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < MaxIterations; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) break;
        }
        return Prefactor(a, x) * h;
    }

    private static void CheckGammaArguments(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "the incomplete gamma needs a > 0");
        if (!(x >= 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "the incomplete gamma needs x >= 0");
    }
}
