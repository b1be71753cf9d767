// The first Wasserstein (earth mover's) distance between two 1-D samples, as scipy.stats.wasserstein_distance.
namespace Quill.Monitoring.Statistics;

/// <summary>W1(u, v) = ∫ |F_u(t) − F_v(t)| dt over the pooled sorted values, both ECDFs taken with side="right".</summary>
public static class Wasserstein
{
    /// <summary>The distance between the empirical distributions of <paramref name="u"/> and <paramref name="v"/> (equal weights).</summary>
    public static double Distance(ReadOnlySpan<double> u, ReadOnlySpan<double> v)
    {
        if (u.Length == 0 || v.Length == 0) throw new ArgumentException("the Wasserstein distance needs two non-empty samples");
        double[] a = u.ToArray(), b = v.ToArray();
        Array.Sort(a);
        Array.Sort(b);
        var all = new double[a.Length + b.Length];
        a.CopyTo(all, 0);
        b.CopyTo(all, a.Length);
        Array.Sort(all);
        double sum = 0;
        int ia = 0, ib = 0;
        for (int i = 0; i < all.Length - 1; i++)
        {
            while (ia < a.Length && a[ia] <= all[i]) ia++;
            while (ib < b.Length && b[ib] <= all[i]) ib++;
            sum += Math.Abs((double)ia / a.Length - (double)ib / b.Length) * (all[i + 1] - all[i]);
        }
        return sum;
    }
}
