// The Population Stability Index with its conventions: reference-quantile bins for numbers, one bin per category, a floor for empty bins.
namespace Quill.Monitoring.Statistics;

/// <summary>The index, and each bin's share on both sides and its term.</summary>
/// <param name="Value">Σ (c − r) ln(c / r) over the bins, both shares floored at <see cref="PopulationStability.Floor"/>.</param>
/// <param name="Bins">One per bin, in order: its label, the reference and current shares (unfloored) and its PSI term.</param>
public sealed record PsiResult(double Value, IReadOnlyList<PsiBin> Bins)
{
    /// <summary>"none" below 0.1, "moderate" from 0.1, "significant" from 0.2 (the credit-scoring convention).</summary>
    public string Level => Value >= PopulationStability.Significant ? "significant" : Value >= PopulationStability.Moderate ? "moderate" : "none";
}

/// <summary>One bin of a PSI computation.</summary>
public sealed record PsiBin(string Label, double ReferenceShare, double CurrentShare, double Term);

/// <summary>
/// Conventions: numbers are cut at the reference's quantiles (10 bins by default, numpy's linear interpolation; repeated
/// edges merged, the outer edges open to ±∞, a bin is [low, high)); categories get one bin each over both sides'
/// values; a share under 1e-4 counts as 1e-4 so an empty bin gives a large but finite term.
/// </summary>
public static class PopulationStability
{
    /// <summary>The smallest share a bin counts with.</summary>
    public const double Floor = 1e-4;

    /// <summary>PSI from this value on reads as a moderate shift.</summary>
    public const double Moderate = 0.1;

    /// <summary>PSI from this value on reads as a significant shift.</summary>
    public const double Significant = 0.2;

    /// <summary>PSI of numbers over <paramref name="bins"/> reference-quantile bins.</summary>
    public static PsiResult OfNumbers(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, int bins = 10)
    {
        double[] edges = QuantileEdges(reference, bins);
        double[] r = Histogram.Shares(reference, edges), c = Histogram.Shares(current, edges);
        var labels = new string[r.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            double low = i == 0 ? double.NegativeInfinity : edges[i], high = i == labels.Length - 1 ? double.PositiveInfinity : edges[i + 1];
            labels[i] = $"[{Histogram.Format(low)}, {Histogram.Format(high)})";
        }
        return Of(labels, r, c);
    }

    /// <summary>PSI of categories, one bin per value seen on either side (ordinal order).</summary>
    public static PsiResult OfCategories(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        string[] categories = [.. reference.Concat(current).Distinct().Order(StringComparer.Ordinal)];
        return Of(categories, Histogram.CategoryShares(reference, categories), Histogram.CategoryShares(current, categories));
    }

    /// <summary>PSI from shares already binned.</summary>
    public static PsiResult Of(IReadOnlyList<string> labels, IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        var result = new PsiBin[labels.Count];
        double total = 0;
        for (int i = 0; i < result.Length; i++)
        {
            double r = Math.Max(reference[i], Floor), c = Math.Max(current[i], Floor);
            double term = (c - r) * Math.Log(c / r);
            total += term;
            result[i] = new PsiBin(labels[i], reference[i], current[i], term);
        }
        return new PsiResult(total, result);
    }

    /// <summary>Bin edges at the reference's quantiles 0, 1/bins, …, 1, duplicates removed (the first and last stand for ±∞).</summary>
    public static double[] QuantileEdges(ReadOnlySpan<double> reference, int bins)
    {
        if (reference.Length == 0) throw new ArgumentException("PSI needs a non-empty reference");
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "PSI needs at least one bin");
        double[] sorted = reference.ToArray();
        Array.Sort(sorted);
        var edges = new List<double>(bins + 1);
        for (int i = 0; i <= bins; i++)
        {
            double q = Histogram.Quantile(sorted, (double)i / bins);
            if (edges.Count == 0 || q > edges[^1]) edges.Add(q);
        }
        if (edges.Count == 1) edges.Add(edges[0]); // a constant reference: one bin
        return [.. edges];
    }
}
