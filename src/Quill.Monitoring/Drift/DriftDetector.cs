// Compares two samples column by column and decides drift with Evidently's default rules; the statistics are in Statistics/.
using System.Globalization;
using Quill.Embeddings;
using Quill.Monitoring.Data;
using Quill.Monitoring.Statistics;

namespace Quill.Monitoring.Drift;

/// <summary>A column to compare and its kind.</summary>
public sealed record ColumnSpec(string Name, ColumnKind Kind);

/// <summary>
/// Rules, as Evidently's defaults: numbers by KS p &lt; 0.05 when the reference has at most 1000 values, else by the
/// Wasserstein distance over the reference's standard deviation ≥ 0.1; categories by chi-square p &lt; 0.05 up to 1000,
/// else Jensen–Shannon distance ≥ 0.1; text by a domain classifier whose cross-validated AUC beats the 95th percentile of
/// shuffled-label runs. Missing cells are dropped per column. Kinds not given are inferred: every value a number →
/// number; otherwise at most 20 distinct values, repeated (fewer distinct than half the values) → category; else text.
/// Text columns are embedded with the built-in embedder (or the vectors a log stored), at most
/// <see cref="MaxTexts"/> a side, sampled with a fixed seed.
/// </summary>
public sealed class DriftDetector(Func<ITextEmbedder>? embedderFactory = null) : IDisposable
{
    /// <summary>Up to this many reference values the p-value tests decide; beyond, the distances.</summary>
    public const int SmallSampleLimit = 1000;

    /// <summary>The p-value under which KS and chi-square say drift.</summary>
    public const double PValueThreshold = 0.05;

    /// <summary>The normed Wasserstein and the Jensen–Shannon distance from which large samples say drift.</summary>
    public const double DistanceThreshold = 0.1;

    /// <summary>Texts embedded per side at most.</summary>
    public const int MaxTexts = 400;

    /// <summary>Most distinct values an inferred category column has.</summary>
    public const int MaxCategories = 20;

    /// <summary>Texts whose vectors are remembered between comparisons (the watch loop sees the same reference each time).</summary>
    public const int CachedTexts = 20_000;

    private readonly Dictionary<string, float[]> _vectors = new(StringComparer.Ordinal);
    private readonly Lock _vectorsLock = new();
    private ITextEmbedder? _embedder;

    /// <summary>Frees the embedder, when one was loaded.</summary>
    public void Dispose() => _embedder?.Dispose();

    /// <summary>
    /// Compares <paramref name="current"/> with <paramref name="reference"/> on <paramref name="columns"/> (null: every
    /// column, kinds inferred). Throws <see cref="InvalidDataException"/> for an unknown column, a column missing on one
    /// side or a side with no values.
    /// </summary>
    public DriftReport Compare(Sample reference, Sample current, IReadOnlyList<ColumnSpec>? columns = null)
    {
        columns ??= InferColumns(reference, current);
        var results = new List<ColumnDrift>(columns.Count);
        foreach (ColumnSpec column in columns)
        {
            foreach (Sample side in (Sample[])[reference, current])
            {
                if (!side.HasColumn(column.Name))
                    throw new InvalidDataException($"{side.Source}: no column '{column.Name}' (it has: {string.Join(", ", side.ColumnNames)})");
            }
            results.Add(column.Kind switch
            {
                ColumnKind.Number => CompareNumbers(column.Name, Numbers(reference, column.Name), Numbers(current, column.Name)),
                ColumnKind.Category => CompareCategories(column.Name, Strings(reference, column.Name), Strings(current, column.Name)),
                _ => CompareTexts(column.Name, reference, current),
            });
        }
        return new DriftReport(reference.Source, current.Source, results);
    }

    /// <summary>
    /// Every column of either side with its kind (a log's known kinds first); a column missing on one side is an error,
    /// or, with <paramref name="sharedOnly"/>, left out. A log column nobody filled (guard_score without a guard) is left out.
    /// </summary>
    public static List<ColumnSpec> InferColumns(Sample reference, Sample current, bool sharedOnly = false)
    {
        var specs = new List<ColumnSpec>();
        foreach (string name in reference.ColumnNames.Concat(current.ColumnNames).Distinct(StringComparer.Ordinal))
        {
            Sample? lacking = !reference.HasColumn(name) ? reference : !current.HasColumn(name) ? current : null;
            if (lacking is not null)
            {
                if (sharedOnly) continue;
                throw new InvalidDataException($"{lacking.Source}: no column '{name}', which the other side has; name the columns to compare with --columns");
            }
            bool anyValue = reference.Column(name).Any(v => v is not null) || current.Column(name).Any(v => v is not null);
            if (reference.KnownKinds.TryGetValue(name, out ColumnKind known) || current.KnownKinds.TryGetValue(name, out known))
            {
                if (anyValue) specs.Add(new ColumnSpec(name, known));
                continue;
            }
            specs.Add(new ColumnSpec(name, InferKind(reference.Column(name).Concat(current.Column(name)))));
        }
        return specs;
    }

    /// <summary>
    /// Parses --columns: <c>a:number,b:category,c</c> (a name without a kind has it inferred from the data). Each named column must
    /// exist on both sides.
    /// </summary>
    public static List<ColumnSpec> ParseColumns(string list, Sample reference, Sample current)
    {
        var specs = new List<ColumnSpec>();
        foreach (string item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = item.LastIndexOf(':');
            string name = colon < 0 ? item : item[..colon];
            foreach (Sample side in (Sample[])[reference, current])
            {
                if (!side.HasColumn(name))
                {
                    string has = string.Join(", ", side.ColumnNames);
                    throw new InvalidDataException($"{side.Source}: unknown column '{name}' named by --columns (it has: {has})");
                }
            }
            ColumnKind kind = colon >= 0 ? ColumnKinds.Parse(item[(colon + 1)..], name)
                : reference.KnownKinds.TryGetValue(name, out ColumnKind known) || current.KnownKinds.TryGetValue(name, out known) ? known
                : InferKind(reference.Column(name).Concat(current.Column(name)));
            specs.Add(new ColumnSpec(name, kind));
        }
        if (specs.Count == 0) throw new ArgumentException("--columns: expected NAME[:KIND],… , found no column");
        return specs;
    }

    /// <summary>The kind of a column from its cells (see the class remarks).</summary>
    public static ColumnKind InferKind(IEnumerable<object?> cells)
    {
        object[] values = [.. cells.Where(v => v is not null)!];
        if (values.Length > 0 && values.All(v => v is double || v is string s && TryNumber(s, out _))) return ColumnKind.Number;
        int distinct = values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)).Distinct().Count();
        return distinct <= MaxCategories && distinct * 2 <= values.Length ? ColumnKind.Category : ColumnKind.Text;
    }

    private static bool TryNumber(string s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static double[] Numbers(Sample sample, string name)
    {
        var values = new List<double>();
        int row = 0;
        foreach (object? cell in sample.Column(name))
        {
            row++;
            if (cell is null) continue;
            if (cell is double d) values.Add(d);
            else if (cell is string s && TryNumber(s, out double parsed)) values.Add(parsed);
            else throw new InvalidDataException($"{sample.Source}: column '{name}' row {row}: expected a number, found '{cell}'");
        }
        if (values.Count == 0) throw Empty(sample, name);
        return [.. values];
    }

    private static List<string> Strings(Sample sample, string name)
    {
        List<string> values = [.. sample.Column(name).Where(v => v is not null).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!)];
        if (values.Count == 0) throw Empty(sample, name);
        return values;
    }

    private static InvalidDataException Empty(Sample sample, string name) =>
        new($"{sample.Source}: column '{name}' has no values (an empty sample cannot be compared)");

    private static ColumnDrift CompareNumbers(string name, double[] reference, double[] current)
    {
        KsResult ks = KolmogorovSmirnov.TwoSample(reference, current);
        double wasserstein = Wasserstein.Distance(reference, current);
        double mean = reference.Average();
        double std = Math.Sqrt(reference.Sum(v => (v - mean) * (v - mean)) / reference.Length);
        double normed = wasserstein / Math.Max(std, 0.001);
        PsiResult psi = PopulationStability.OfNumbers(reference, current);
        double[] r = [.. psi.Bins.Select(b => b.ReferenceShare)], c = [.. psi.Bins.Select(b => b.CurrentShare)];
        var tests = new DriftTests
        {
            Ks = ks, Wasserstein = wasserstein, WassersteinNormed = normed, Psi = psi,
            JensenShannon = Divergence.JensenShannon(r, c), KullbackLeibler = Divergence.KullbackLeibler(c, r),
        };
        double[] edges = Histogram.EqualWidthEdges(reference, current, 20);
        var figure = new HistogramFigure(edges, Histogram.Shares(reference, edges), Histogram.Shares(current, edges));
        return reference.Length <= SmallSampleLimit
            ? new ColumnDrift(name, ColumnKind.Number, ks.PValue < PValueThreshold, "ks p_value < 0.05", ks.PValue, PValueThreshold, reference.Length,
                current.Length, tests, figure)
            : new ColumnDrift(name, ColumnKind.Number, normed >= DistanceThreshold, "wasserstein_normed >= 0.1", normed, DistanceThreshold,
                reference.Length, current.Length, tests, figure);
    }

    private static ColumnDrift CompareCategories(string name, List<string> reference, List<string> current)
    {
        string[] categories = [.. reference.Concat(current).Distinct().Order(StringComparer.Ordinal)];
        double[] r = Histogram.CategoryShares(reference, categories), c = Histogram.CategoryShares(current, categories);
        var table = new double[2, categories.Length];
        for (int i = 0; i < categories.Length; i++)
        {
            table[0, i] = Math.Round(r[i] * reference.Count);
            table[1, i] = Math.Round(c[i] * current.Count);
        }
        ChiSquareResult chi = ChiSquareContingency.Test(table);
        double js = Divergence.JensenShannon(r, c);
        var tests = new DriftTests
        {
            ChiSquare = chi, JensenShannon = js, KullbackLeibler = Divergence.KullbackLeibler(c, r), Psi = PopulationStability.Of(categories, r, c),
        };
        var figure = new CategoryFigure(categories, r, c);
        return reference.Count <= SmallSampleLimit
            ? new ColumnDrift(name, ColumnKind.Category, chi.PValue < PValueThreshold, "chi2 p_value < 0.05", chi.PValue, PValueThreshold, reference.Count,
                current.Count, tests, figure)
            : new ColumnDrift(name, ColumnKind.Category, js >= DistanceThreshold, "jensen_shannon >= 0.1", js, DistanceThreshold, reference.Count,
                current.Count, tests, figure);
    }

    private ColumnDrift CompareTexts(string name, Sample reference, Sample current)
    {
        List<float[]> r = Vectors(reference, name), c = Vectors(current, name);
        DomainClassifierResult classifier = DomainClassifier.Test(r, c);
        MmdResult mmd = MaximumMeanDiscrepancy.Test(r, c);
        var points = PrincipalComponents.Project2D([.. r, .. c]);
        var figure = new ProjectionFigure(points[..r.Count], points[r.Count..]);
        var tests = new DriftTests { DomainClassifier = classifier, Mmd = mmd };
        return new ColumnDrift(name, ColumnKind.Text, classifier.Drift, "domain_classifier auc > shuffled 95th percentile", classifier.Auc,
            classifier.Threshold, r.Count, c.Count, tests, figure);
    }

    /// <summary>The vectors of a text column: a log's stored embeddings where every sampled row has one, else embedded now.</summary>
    private List<float[]> Vectors(Sample sample, string name)
    {
        var rows = new List<(string Text, float[]? Stored)>();
        sample.Embeddings.TryGetValue(name, out List<float[]?>? stored);
        IReadOnlyList<object?> cells = sample.Column(name);
        for (int i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not null || stored?[i] is not null)
                rows.Add((Convert.ToString(cells[i], CultureInfo.InvariantCulture) ?? "", stored?[i]));
        }
        if (rows.Count == 0) throw Empty(sample, name);
        if (rows.Count > MaxTexts)
        {
            var random = new Random(42);
            rows = [.. rows.OrderBy(_ => random.Next()).Take(MaxTexts)];
        }
        if (rows.Count < 2) throw new InvalidDataException($"{sample.Source}: column '{name}' has {rows.Count} text; text drift needs at least two a side");
        ITextEmbedder embedder = _embedder ??= (embedderFactory ?? (() => EmbedderCatalog.Load()))();
        if (rows.All(row => row.Stored is { } v && v.Length == embedder.Dimensions)) return [.. rows.Select(row => row.Stored!)];
        if (rows.Any(row => row.Text.Length == 0 && row.Stored is null))
            throw new InvalidDataException($"{sample.Source}: column '{name}' has rows with no text to embed");
        return Embedded(embedder, [.. rows.Select(row => row.Text)]);
    }

    /// <summary>
    /// The vectors of <paramref name="texts"/>, embedding only those not seen before: `quill monitor watch` and the
    /// server's drift check compare the same reference (and mostly the same window) every few seconds.
    /// </summary>
    private List<float[]> Embedded(ITextEmbedder embedder, List<string> texts)
    {
        lock (_vectorsLock)
        {
            List<string> missing = [.. texts.Where(t => !_vectors.ContainsKey(t)).Distinct(StringComparer.Ordinal)];
            if (missing.Count > 0)
            {
                float[][] vectors = embedder.Embed(missing).Vectors;
                if (_vectors.Count + missing.Count > CachedTexts) _vectors.Clear();
                for (int i = 0; i < missing.Count; i++) _vectors[missing[i]] = vectors[i];
            }
            return [.. texts.Select(t => _vectors[t])];
        }
    }
}
