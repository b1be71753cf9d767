// Maximum mean discrepancy between two sets of vectors with an RBF kernel: the median-heuristic bandwidth and a permutation p-value.
namespace Quill.Monitoring.Statistics;

/// <summary>MMD² (the biased V-statistic), the kernel bandwidth used and the permutation p-value.</summary>
public sealed record MmdResult(double Value, double Bandwidth, double PValue, int Permutations);

/// <summary>
/// k(x, y) = exp(−‖x − y‖² / (2σ²)) with σ the median of the pooled pairwise distances (Gretton et al. 2012's median
/// heuristic). MMD² = mean k(X, X) + mean k(Y, Y) − 2 mean k(X, Y) over all pairs, self-pairs included. The p-value is
/// (1 + #{permutations with MMD² ≥ observed}) / (1 + permutations), labels shuffled with a seeded generator.
/// </summary>
public static class MaximumMeanDiscrepancy
{
    /// <summary>Tests <paramref name="x"/> against <paramref name="y"/> (vectors of one length).</summary>
    public static MmdResult Test(IReadOnlyList<float[]> x, IReadOnlyList<float[]> y, int permutations = 200, int seed = 1)
    {
        if (x.Count == 0 || y.Count == 0) throw new ArgumentException("MMD needs two non-empty sets of vectors");
        int n = x.Count + y.Count;
        var all = new float[n][];
        for (int i = 0; i < x.Count; i++) all[i] = x[i];
        for (int i = 0; i < y.Count; i++) all[x.Count + i] = y[i];
        var d2 = new double[n, n];
        var distances = new List<double>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double d = SquaredDistance.Run(all[i], all[j]);
                d2[i, j] = d2[j, i] = d;
                distances.Add(Math.Sqrt(d));
            }
        }
        distances.Sort();
        double sigma = distances.Count == 0 ? 1 : distances.Count % 2 == 1 ? distances[distances.Count / 2]
            : (distances[distances.Count / 2 - 1] + distances[distances.Count / 2]) / 2;
        if (!(sigma > 0)) sigma = 1;
        var k = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) k[i, j] = Math.Exp(-d2[i, j] / (2 * sigma * sigma));
        }
        var labels = new bool[n]; // true: the second set
        for (int i = x.Count; i < n; i++) labels[i] = true;
        double observed = Statistic(k, labels);
        var random = new Random(seed);
        int atLeast = 0;
        for (int p = 0; p < permutations; p++)
        {
            random.Shuffle(labels);
            if (Statistic(k, labels) >= observed) atLeast++;
        }
        return new MmdResult(observed, sigma, (1.0 + atLeast) / (1.0 + permutations), permutations);
    }

    private static double Statistic(double[,] k, bool[] second)
    {
        int n = second.Length;
        double xx = 0, yy = 0, xy = 0;
        long nx = 0;
        for (int i = 0; i < n; i++) if (!second[i]) nx++;
        long ny = n - nx;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double v = k[i, j];
                if (second[i] == second[j])
                {
                    if (second[i]) yy += v;
                    else xx += v;
                }
                else xy += v; // counted twice, once from each side
            }
        }
        return xx / (nx * nx) + yy / (ny * ny) - xy / (nx * ny);
    }
}
