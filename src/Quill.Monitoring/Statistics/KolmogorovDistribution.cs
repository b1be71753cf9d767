// The distribution of the one-sample two-sided KS statistic D_n for finite n (SciPy's kstwo), as Simard & L'Ecuyer (2011) pick its methods.
namespace Quill.Monitoring.Statistics;

/// <summary>
/// Pr(D_n ≥ x) as SciPy's <c>kstwo.sf(x, n)</c> (scipy/stats/_ksstats.py <c>_kolmogn</c>): Ruben–Gambino's closed
/// forms near the ends, twice the one-sided Smirnov tail for large x, the Durbin matrix (Marsaglia–Tsang–Wang) or
/// Pomeranz's recursion for small n, Pelz–Good's asymptotic series for large n. The branch points are SciPy's, so the
/// same method answers the same question. ks_2samp uses it with n = round(n1·n2 / (n1 + n2)) beyond the exact sizes.
/// </summary>
public static class KolmogorovDistribution
{
    private const int E128 = 128;
    private static readonly double Ep128 = Math.ScaleB(1.0, E128), Em128 = Math.ScaleB(1.0, -E128);
    private const double MinLog = -708;
    private static readonly double[] StirlingCoefficients =
    [
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
        -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
    ];

    /// <summary>Pr(D_n ≥ x), the survival function of the two-sided one-sample KS statistic.</summary>
    public static double Survival(int n, double x)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "the sample size must be positive");
        if (x >= 1) return 0;
        if (x <= 0) return 1;
        double t = n * x;
        if (t <= 1)
        {
            if (t <= 0.5) return 1;
            double prob;
            if (n <= 140)
            {
                prob = 1;
                for (int i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
            }
            else prob = Math.Exp(LogFactorialOverPower(n) + n * Math.Log(2 * t - 1));
            return Clip(1 - prob);
        }
        if (t >= n - 1) return Clip(2 * Math.Pow(1 - x, n));
        if (x >= 0.5) return Clip(2 * Smirnov(n, x));
        double nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 0.754693) return Clip(1 - DurbinMatrix(n, x));
            if (nxSquared <= 4) return Clip(1 - Pomeranz(n, x));
            return Clip(2 * Smirnov(n, x));
        }
        if (nxSquared >= 370.0) return 0;
        if (nxSquared >= 2.2) return Clip(2 * Smirnov(n, x));
        double cdf = n <= 100000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinMatrix(n, x) : PelzGood(n, x);
        return Clip(1 - cdf);
    }

    /// <summary>
    /// The one-sided Smirnov tail Pr(D⁺_n ≥ x) (SciPy's special.smirnov) by the Birnbaum–Tingey sum
    /// x Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1), whose terms are all positive, each taken in logs.
    /// </summary>
    public static double Smirnov(int n, double x)
    {
        if (x <= 0) return 1;
        if (x >= 1) return 0;
        if (n == 1) return x;
        int last = (int)Math.Floor(n * (1 - x));
        double sum = 0, logBinomial = 0; // ln C(n, 0)
        for (int j = 0; j <= last; j++)
        {
            if (j > 0) logBinomial += Math.Log((double)(n - j + 1) / j);
            double low = (n - n * x - j) / n; // 1 − x − j/n
            double high = (n * x + j) / n;   // x + j/n
            if (low <= 0) continue;
            sum += Math.Exp(logBinomial + (n - j) * Math.Log(low) + (j - 1) * Math.Log(high));
        }
        return Math.Clamp(x * sum, 0, 1);
    }

    private static double Clip(double p) => Math.Clamp(p, 0, 1);

    /// <summary>ln(n! / n^n) by Stirling's series.</summary>
    private static double LogFactorialOverPower(int n)
    {
        double rn = 1.0 / n, poly = 0, z = rn / n;
        foreach (double c in StirlingCoefficients) poly = poly * z + c;
        return Math.Log(n) / 2 - n + Math.Log(2 * Math.PI) / 2 + rn * poly;
    }

    /// <summary>Pr(D_n ≤ d) by the Durbin matrix H^n, scaled by powers of 2^128 as SciPy's _kolmogn_DMTW.</summary>
    internal static double DurbinMatrix(int n, double d)
    {
        if (d >= 1) return 1;
        double nd = n * d;
        if (nd <= 0.5) return 0;
        int k = (int)Math.Ceiling(nd);
        double h = k - nd;
        int m = 2 * k - 1;
        var H = new double[m, m];
        var v = new double[m];
        var w = new double[m];
        double fac = 1;
        for (int j = 1; j <= m; j++)
        {
            v[j - 1] = 1 - Math.Pow(h, j);
            w[j - 1] = fac;
            fac /= j;
            v[j - 1] *= fac;
        }
        double tt = Math.Pow(Math.Max(2 * h - 1, 0), m) - 2 * Math.Pow(h, m);
        v[m - 1] = (1 + tt) * fac;
        for (int i = 1; i < m; i++)
        {
            for (int r = i - 1; r < m; r++) H[r, i] = w[r - (i - 1)];
        }
        for (int r = 0; r < m; r++) H[r, 0] = v[r];
        for (int c = 0; c < m; c++) H[m - 1, c] = v[m - 1 - c];
        var power = Identity(m);
        int nn = n, exponent = 0, hExponent = 0;
        while (nn > 0)
        {
            if (nn % 2 == 1)
            {
                power = Multiply(power, H);
                exponent += hExponent;
            }
            H = Multiply(H, H);
            hExponent *= 2;
            if (Math.Abs(H[k - 1, k - 1]) > Ep128)
            {
                Scale(H, 1 / Ep128);
                hExponent += E128;
            }
            nn /= 2;
        }
        double p = power[k - 1, k - 1];
        for (int i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < Em128)
            {
                p *= Ep128;
                exponent -= E128;
            }
        }
        if (exponent != 0) p = Math.ScaleB(p, exponent);
        return Clip(p);
    }

    private static double[,] Identity(int m)
    {
        var a = new double[m, m];
        for (int i = 0; i < m; i++) a[i, i] = 1;
        return a;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int m = a.GetLength(0);
        var c = new double[m, m];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int l = 0; l < m; l++) s += a[i, l] * b[l, j];
                c[i, j] = s;
            }
        }
        return c;
    }

    private static void Scale(double[,] a, double factor)
    {
        for (int i = 0; i < a.GetLength(0); i++)
        {
            for (int j = 0; j < a.GetLength(1); j++) a[i, j] *= factor;
        }
    }

    /// <summary>Pr(D_n ≤ x) by Pomeranz's recursion (SciPy's _kolmogn_Pomeranz).</summary>
    internal static double Pomeranz(int n, double x)
    {
        double t = n * x;
        int ll = (int)Math.Floor(t);
        double f = t - ll;
        double g = Math.Min(f, 1 - f);
        int ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
        int npwrs = 2 * (ll + 1);
        var gpower = new double[npwrs];
        var twogpower = new double[npwrs];
        var onem2gpower = new double[npwrs];
        gpower[0] = twogpower[0] = onem2gpower[0] = 1;
        int exponent = 0;
        double gOverN = g / n, twoGOverN = 2 * g / n, oneMinusTwoGOverN = (1 - 2 * g) / n;
        for (int m = 1; m < npwrs; m++)
        {
            gpower[m] = gpower[m - 1] * gOverN / m;
            twogpower[m] = twogpower[m - 1] * twoGOverN / m;
            onem2gpower[m] = onem2gpower[m - 1] * oneMinusTwoGOverN / m;
        }
        var v0 = new double[npwrs];
        var v1 = new double[npwrs];
        v1[0] = 1;
        int v0s = 0, v1s = 0;
        (int j1, int j2) = PomeranzInterval(0, n, ll, ceilf, roundf);
        for (int i = 1; i < 2 * n + 2; i++)
        {
            int k1 = j1;
            (v0, v1) = (v1, v0);
            (v0s, v1s) = (v1s, v0s);
            Array.Clear(v1);
            (j1, j2) = PomeranzInterval(i, n, ll, ceilf, roundf);
            double[] pwrs = i == 1 || i == 2 * n + 1 ? gpower : i % 2 == 1 ? twogpower : onem2gpower;
            int ln2 = j2 - k1 + 1;
            if (ln2 > 0)
            {
                // conv = convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]); V1[:len] = conv[j1 - k1 : …]
                int convStart = j1 - k1, convLength = j2 - j1 + 1, offset = k1 - v0s;
                int aLength = Math.Min(ln2, npwrs - offset), bLength = Math.Min(ln2, npwrs); // numpy clips slices at the end
                double max = 0;
                for (int c = 0; c < convLength; c++)
                {
                    int index = convStart + c; // conv[index] = Σ_a V0[offset + a] · pwrs[index − a]
                    double s = 0;
                    for (int a = Math.Max(0, index - bLength + 1); a <= Math.Min(index, aLength - 1); a++) s += v0[offset + a] * pwrs[index - a];
                    v1[c] = s;
                    max = Math.Max(max, s);
                }
                if (max > 0 && max < Em128)
                {
                    for (int c = 0; c < convLength; c++) v1[c] *= Ep128;
                    exponent -= E128;
                }
                v1s = v0s + j1 - k1;
            }
        }
        double answer = v1[n - v1s];
        for (int m = 1; m <= n; m++)
        {
            if (Math.Abs(answer) > Ep128)
            {
                answer *= Em128;
                exponent += E128;
            }
            answer *= m;
        }
        if (exponent != 0) answer = Math.ScaleB(answer, exponent);
        return Clip(answer);
    }

    private static (int J1, int J2) PomeranzInterval(int i, int n, int ll, int ceilf, int roundf)
    {
        int j1, j2;
        if (i == 0) (j1, j2) = (-ll - ceilf - 1, ll + ceilf - 1);
        else
        {
            int half = (i + 1) / 2, odd = (i + 1) % 2;
            if (odd == 0)
            {
                if (half == n + 1) (j1, j2) = (n - ll - ceilf - 1, n + ll + ceilf - 1);
                else (j1, j2) = (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1);
            }
            else (j1, j2) = (half - 1 - ll - 1, half + ll + roundf - 1);
        }
        return (Math.Max(j1 + 2, 0), Math.Min(j2, n));
    }

    /// <summary>Pr(D_n ≤ x) by Pelz and Good's asymptotic series in 1/√n (SciPy's _kolmogn_PelzGood).</summary>
    internal static double PelzGood(int n, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double z = Math.Sqrt(n) * x;
        double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
        const double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
        double qlog = -pi2 / 8 / z2;
        if (qlog < MinLog) return 0;
        double q = Math.Exp(qlog);
        double k1a = -z2, k1b = pi2 / 4;
        double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
        double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16, k3b = pi2 * (135 * z4 - 96 * z6) / 4;
        double k3a = -30 * z6 - 90 * Math.Pow(z, 8);
        var k = new double[4];
        int maxk = (int)Math.Ceiling(16 * z / Math.PI);
        for (int kk = maxk; kk > 0; kk--)
        {
            double m = 2 * kk - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
            double qpower = Math.Pow(q, 8 * kk);
            k[0] = k[0] * qpower + 1;
            k[1] = k[1] * qpower + k1a + k1b * m2;
            k[2] = k[2] * qpower + k2a + k2b * m2 + k2c * m4;
            k[3] = k[3] * qpower + k3a + k3b * m2 + k3c * m4 + k3d * m6;
        }
        double sqrt2Pi = Math.Sqrt(2 * Math.PI);
        double[] divisors = [z, 6 * z4, 72 * Math.Pow(z, 7), 6480 * Math.Pow(z, 10)];
        for (int i = 0; i < 4; i++) k[i] = k[i] * q * sqrt2Pi / divisors[i];
        double q2 = Math.Exp(-pi2 / 2 / z2);
        double sqrt3z = Math.Sqrt(3) * z;
        double k2extra = 0, k3extra = 0;
        for (int kk = maxk; kk > 0; kk--)
        {
            double ks2 = (double)kk * kk, qp = Math.Pow(q2, ks2), kspi = Math.PI * kk;
            k2extra += ks2 * qp;
            k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
        }
        k[2] += k2extra * pi2 * sqrt2Pi / (-36 * z3);
        k[3] += k3extra * pi2 * sqrt2Pi / (216 * z6);
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += k[i] / Math.Pow(n, i / 2.0);
        return sum;
    }
}
