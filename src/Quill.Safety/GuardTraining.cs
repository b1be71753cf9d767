// `quill guard train`'s work: embed the data set, fit the classifier on the train split, measure TPR/FPR per language on the held-out split.
using System.Globalization;
using Quill.Embeddings;

namespace Quill.Safety;

/// <summary>True- and false-positive rates of one group of held-out texts at the model's threshold.</summary>
public sealed record GuardRates(string Group, int Injections, int Benign, double TruePositiveRate, double FalsePositiveRate)
{
    /// <summary>"en: TPR 0.978 (45/46), FPR 0.000 (0/31)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Group}: TPR {TruePositiveRate:F3} ({Math.Round(TruePositiveRate * Injections)}/{Injections}), " +
        $"FPR {FalsePositiveRate:F3} ({Math.Round(FalsePositiveRate * Benign)}/{Benign})");
}

/// <summary>A trained model and its held-out rates: overall first, then per language and per kind.</summary>
public sealed record GuardReport(GuardModel Model, IReadOnlyList<GuardRates> HeldOut);

/// <summary>Fits the guard's classifier and evaluates the whole guard (matcher and classifier) on the held-out split.</summary>
public static class GuardTraining
{
    /// <summary>Trains on the "train" rows of <paramref name="examples"/> and reports on the "test" rows.</summary>
    /// <param name="examples">The data set; rows with split "test" are held out.</param>
    /// <param name="embedder">The built-in embedder.</param>
    /// <param name="threshold">The decision threshold; null chooses it by cross-validation on the train split (<see cref="ChooseThreshold"/>).</param>
    /// <param name="source">The data file's name, for the provenance.</param>
    /// <param name="ct">Cancels the embedding.</param>
    public static GuardReport Train(IReadOnlyList<GuardExample> examples, ITextEmbedder embedder, double? threshold = null, string? source = null,
        CancellationToken ct = default)
    {
        GuardExample[] train = [.. examples.Where(e => e.Split != "test")], test = [.. examples.Where(e => e.Split == "test")];
        float[][] vectors = embedder.Embed([.. train.Select(e => e.Text)], ct).Vectors;
        LogisticRegression classifier = LogisticRegression.Train(vectors, [.. train.Select(e => e.Injection)]);
        threshold ??= ChooseThreshold(train, vectors, GuardModel.DefaultMatcherWeight);
        var model = new GuardModel { Embedder = embedder.ModelName, Weights = classifier.Weights, Bias = classifier.Bias, Threshold = threshold.Value };
        IReadOnlyList<GuardRates> rates = test.Length == 0 ? [] : Evaluate(new InjectionGuardView(embedder, model), test, ct);
        string provenance = $"{source ?? "data"}: {train.Length} train rows, {test.Length} held-out rows" +
            (rates.Count > 0 ? $"; held-out {rates[0]}" : "");
        return new GuardReport(model with { Provenance = provenance }, rates);
    }

    /// <summary>The false-positive rate the cross-validated threshold aims at, below the 0.05 target to leave a margin.</summary>
    public const double TargetFalsePositiveRate = 0.02;

    /// <summary>
    /// Five-fold cross-validation over the train split, folds by template group: every row gets an out-of-fold combined
    /// score, and the threshold is the lowest of 0.30, 0.31, …, 0.95 whose out-of-fold false-positive rate is at most
    /// <see cref="TargetFalsePositiveRate"/>. The held-out split plays no part.
    /// </summary>
    public static double ChooseThreshold(IReadOnlyList<GuardExample> train, float[][] vectors, double matcherWeight)
    {
        const int Folds = 5;
        string[] groups = [.. train.Select(e => e.Group).Distinct().Order(StringComparer.Ordinal)];
        var foldOf = groups.Select((g, i) => (g, i % Folds)).ToDictionary(p => p.g, p => p.Item2, StringComparer.Ordinal);
        bool[] hits = [.. train.Select(e => PhraseMatcher.Default.Match(e.Text).Count > 0)];
        var scores = new double[train.Count];
        for (int fold = 0; fold < Folds; fold++)
        {
            int[] inFold = [.. Enumerable.Range(0, train.Count).Where(i => foldOf[train[i].Group] == fold)];
            int[] rest = [.. Enumerable.Range(0, train.Count).Where(i => foldOf[train[i].Group] != fold)];
            if (inFold.Length == 0 || rest.Select(i => train[i].Injection).Distinct().Count() < 2) continue;
            LogisticRegression model = LogisticRegression.Train([.. rest.Select(i => vectors[i])], [.. rest.Select(i => train[i].Injection)], steps: 1500);
            foreach (int i in inFold) scores[i] = InjectionGuard.Combine(model.Probability(vectors[i]), hits[i], matcherWeight);
        }
        int benign = train.Count(e => !e.Injection);
        for (int step = 30; step <= 95; step++)
        {
            double t = step / 100.0;
            int falsePositives = Enumerable.Range(0, train.Count).Count(i => !train[i].Injection && scores[i] >= t);
            if (falsePositives <= TargetFalsePositiveRate * benign) return t;
        }
        return 0.95;
    }

    /// <summary>Rates of <paramref name="guard"/> on <paramref name="test"/>: all rows, then each language, then each kind.</summary>
    public static IReadOnlyList<GuardRates> Evaluate(InjectionGuardView guard, IReadOnlyList<GuardExample> test, CancellationToken ct = default)
    {
        IReadOnlyList<GuardResult> results = guard.Check([.. test.Select(e => e.Text)], ct);
        var rows = test.Zip(results).ToArray();
        var rates = new List<GuardRates> { Rates("all", rows) };
        foreach (var group in rows.GroupBy(r => r.First.Language).OrderBy(g => g.Key, StringComparer.Ordinal)) rates.Add(Rates(group.Key, [.. group]));
        foreach (var group in rows.GroupBy(r => r.First.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)) rates.Add(Rates("kind " + group.Key, [.. group]));
        return rates;
    }

    private static GuardRates Rates(string name, (GuardExample Example, GuardResult Result)[] rows)
    {
        int p = rows.Count(r => r.Example.Injection), n = rows.Length - p;
        int tp = rows.Count(r => r.Example.Injection && r.Result.Injection), fp = rows.Count(r => !r.Example.Injection && r.Result.Injection);
        return new GuardRates(name, p, n, p == 0 ? double.NaN : (double)tp / p, n == 0 ? double.NaN : (double)fp / n);
    }
}

/// <summary>An <see cref="InjectionGuard"/> over an embedder it does not own (disposing it leaves the embedder open).</summary>
public sealed class InjectionGuardView(ITextEmbedder embedder, GuardModel model)
{
    private readonly InjectionGuard _guard = new(embedder, model);

    /// <summary>See <see cref="InjectionGuard.Check(IReadOnlyList{string}, double?, CancellationToken)"/>.</summary>
    public IReadOnlyList<GuardResult> Check(IReadOnlyList<string> texts, CancellationToken ct = default) => _guard.Check(texts, null, ct);
}
