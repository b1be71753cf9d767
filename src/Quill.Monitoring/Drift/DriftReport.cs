// The result of a drift comparison: per column its verdict, the rule that gave it, every statistic computed and the data of its picture.
using Quill.Monitoring.Statistics;

namespace Quill.Monitoring.Drift;

/// <summary>All columns compared, and the share that drifted.</summary>
public sealed record DriftReport(string Reference, string Current, IReadOnlyList<ColumnDrift> Columns)
{
    /// <summary>The share of drifted columns from which the whole dataset counts as drifted (Evidently's default).</summary>
    public const double DatasetDriftShare = 0.5;

    /// <summary>Drifted columns over all columns (0 when there are none).</summary>
    public double DriftShare => Columns.Count == 0 ? 0 : (double)Columns.Count(c => c.Drift) / Columns.Count;

    /// <summary>True when at least half the columns drifted.</summary>
    public bool DatasetDrift => Columns.Count > 0 && DriftShare >= DatasetDriftShare;
}

/// <summary>
/// One column's verdict: <see cref="Drift"/> when <see cref="Score"/> crossed <see cref="Threshold"/> under
/// <see cref="Rule"/> (e.g. "ks p_value &lt; 0.05", "wasserstein_normed &gt;= 0.1").
/// </summary>
public sealed record ColumnDrift(string Name, ColumnKind Kind, bool Drift, string Rule, double Score, double Threshold, int ReferenceCount,
    int CurrentCount, DriftTests Tests, ColumnFigure Figure);

/// <summary>Every statistic computed for a column; those that do not apply to its kind are null.</summary>
public sealed record DriftTests
{
    /// <summary>Two-sample KS (numbers).</summary>
    public KsResult? Ks { get; init; }

    /// <summary>Wasserstein-1 distance (numbers).</summary>
    public double? Wasserstein { get; init; }

    /// <summary>Wasserstein-1 over the reference's standard deviation (at least 0.001), Evidently's normed distance.</summary>
    public double? WassersteinNormed { get; init; }

    /// <summary>PSI (numbers on reference quantiles, categories one bin each).</summary>
    public PsiResult? Psi { get; init; }

    /// <summary>Chi-square contingency test of reference against current counts (categories).</summary>
    public ChiSquareResult? ChiSquare { get; init; }

    /// <summary>Jensen–Shannon distance on the PSI bins (numbers) or categories.</summary>
    public double? JensenShannon { get; init; }

    /// <summary>KL(current ‖ reference) on the same bins; +∞ when current fills a bin the reference left empty.</summary>
    public double? KullbackLeibler { get; init; }

    /// <summary>Domain classifier on embeddings (text).</summary>
    public DomainClassifierResult? DomainClassifier { get; init; }

    /// <summary>MMD with an RBF kernel on embeddings (text).</summary>
    public MmdResult? Mmd { get; init; }
}

/// <summary>What the HTML report draws for a column.</summary>
public abstract record ColumnFigure;

/// <summary>Overlaid histograms on shared equal-width bins (edges has one more entry than each share list).</summary>
public sealed record HistogramFigure(double[] Edges, double[] ReferenceShares, double[] CurrentShares) : ColumnFigure;

/// <summary>Category bars: each category's share on both sides.</summary>
public sealed record CategoryFigure(string[] Categories, double[] ReferenceShares, double[] CurrentShares) : ColumnFigure;

/// <summary>Both embedding sets projected on their first two principal components.</summary>
public sealed record ProjectionFigure((double X, double Y)[] Reference, (double X, double Y)[] Current) : ColumnFigure;
