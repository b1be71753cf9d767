// Binning shared by PSI, the binned divergences and the report's pictures: quantiles, shares per bin, equal-width edges.
using System.Globalization;

namespace Quill.Monitoring.Statistics;

/// <summary>
/// Bins are given by edges e_0 &lt; … &lt; e_k; value v falls in bin i when e_i ≤ v &lt; e_{i+1}, values below e_1 in bin 0
/// and values from e_{k−1} on in the last bin (the outer edges are open), so every value is counted once.
/// </summary>
public static class Histogram
{
    /// <summary>The <paramref name="q"/> quantile of sorted values with numpy's default linear interpolation.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Length - 1);
        double fraction = position - low;
        return sorted[low] + (sorted[high] - sorted[low]) * fraction;
    }

    /// <summary>The share of <paramref name="values"/> in each of the edges' bins.</summary>
    public static double[] Shares(ReadOnlySpan<double> values, double[] edges)
    {
        int bins = edges.Length - 1;
        var counts = new double[bins];
        foreach (double v in values) counts[BinOf(v, edges)]++;
        for (int i = 0; i < bins; i++) counts[i] /= values.Length;
        return counts;
    }

    /// <summary>The bin of <paramref name="value"/>; outer bins are open-ended.</summary>
    public static int BinOf(double value, double[] edges)
    {
        int bins = edges.Length - 1;
        int lo = 1, hi = bins; // the first inner edge greater than value, among edges[1..bins-1]
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] <= value) lo = mid + 1;
            else hi = mid;
        }
        return lo - 1;
    }

    /// <summary>The share of <paramref name="values"/> equal to each category.</summary>
    public static double[] CategoryShares(IReadOnlyList<string> values, IReadOnlyList<string> categories)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < categories.Count; i++) index[categories[i]] = i;
        var shares = new double[categories.Count];
        foreach (string v in values) if (index.TryGetValue(v, out int i)) shares[i]++;
        for (int i = 0; i < shares.Length; i++) shares[i] /= values.Count;
        return shares;
    }

    /// <summary><paramref name="bins"/> equal-width edges spanning both samples (a constant sample gets a unit-wide range).</summary>
    public static double[] EqualWidthEdges(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int bins)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in a) { min = Math.Min(min, v); max = Math.Max(max, v); }
        foreach (double v in b) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (!(max > min)) { min -= 0.5; max += 0.5; }
        var edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) edges[i] = min + (max - min) * i / bins;
        return edges;
    }

    /// <summary>A bin edge as the report prints it: ±inf, or up to 4 significant digits.</summary>
    public static string Format(double value) =>
        double.IsNegativeInfinity(value) ? "-inf" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("G4", CultureInfo.InvariantCulture);
}
