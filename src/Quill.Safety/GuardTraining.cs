// `quill guard train`'s work: embed the data set's pieces, fit the classifier on the train split, measure TPR/FPR on the held-out split.
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

/// <summary>
/// Fits the guard's classifier and evaluates the whole guard on the held-out split. The classifier learns from pieces
/// (<see cref="GuardPieces"/>): every window with its text's label and every sentence of a benign text as benign; then,
/// since which sentence of an injected document carries the injection is not labelled, a second fit adds each injection's
/// sentence that the first fit scores highest as an injection (one round of multiple-instance learning).
/// </summary>
public static class GuardTraining
{
    /// <summary>Trains on the "train" rows of <paramref name="examples"/> and reports on the "test" rows.</summary>
    /// <param name="examples">The data set; rows with split "test" are held out.</param>
    /// <param name="embedder">The built-in embedder.</param>
    /// <param name="threshold">The decision threshold; null chooses it by cross-validation on the train split (<see cref="ChooseThreshold"/>).</param>
    /// <param name="source">The data files' names, for the provenance.</param>
    /// <param name="ct">Cancels the embedding.</param>
    public static GuardReport Train(IReadOnlyList<GuardExample> examples, ITextEmbedder embedder, double? threshold = null, string? source = null,
        CancellationToken ct = default)
    {
        GuardExample[] train = [.. examples.Where(e => e.Split != "test")], test = [.. examples.Where(e => e.Split == "test")];
        GuardPieceSet pieces = GuardPieceSet.Build([.. train.Select(e => e.Text)], embedder, PhraseMatcher.Default, ct);
        LogisticRegression classifier = Fit(pieces, [.. train.Select(e => e.Injection)], SourceWeights(train), _ => true);
        threshold ??= ChooseThreshold(train, pieces);
        return Report(embedder, classifier, threshold.Value, encoder: null, partner: null, test, $"{source ?? "data"}: {train.Length} train rows", ct);
    }

    /// <summary>
    /// <see cref="Train(IReadOnlyList{GuardExample}, ITextEmbedder, double?, string?, CancellationToken)"/> with the guard's own
    /// encoder: the train rows of every fifth template group (a template, or a hand-written scenario in all its languages) are
    /// set aside for validation; the encoder is tuned on the rest (<see cref="GuardEncoderTraining"/>, epoch chosen on the
    /// validation rows), the classifier is fitted on the rest's pieces as the tuned encoder reads them, a partner classifier
    /// (<see cref="GuardModel.Partner"/>) on the same pieces as the frozen embedder reads them, and the threshold on the mean
    /// of the two scores is the lowest whose false-positive rate on the validation rows is at most
    /// <see cref="TargetFalsePositiveRate"/> in every source file and language (<see cref="LowestThreshold"/>; no cross-validation:
    /// it would tune the encoder five more times). The held-out split plays no part.
    /// </summary>
    public static GuardReport TrainTuned(IReadOnlyList<GuardExample> examples, BertEmbedder embedder, GuardEncoderOptions options, double? threshold = null,
        string? source = null, Action<string>? progress = null, CancellationToken ct = default)
    {
        GuardExample[] train = [.. examples.Where(e => e.Split != "test")], test = [.. examples.Where(e => e.Split == "test")];
        var (fit, validation) = ValidationSplit(train, source);
        progress?.Invoke($"tuning the encoder on {fit.Length} train rows, {validation.Length} set aside for validation");
        GuardEncoderResult tuned = GuardEncoderTraining.Tune(embedder, fit, validation, options, progress, ct);
        using BertEmbedder encoder = tuned.Encoder.Wrap(embedder, "the tuned encoder");
        string[] fitTexts = [.. fit.Select(e => e.Text)], validationTexts = [.. validation.Select(e => e.Text)];
        bool[] labels = [.. fit.Select(e => e.Injection)];
        double[] weights = SourceWeights(fit);
        GuardPieceSet tunedPieces = GuardPieceSet.Build(fitTexts, encoder, PhraseMatcher.Default, ct);
        LogisticRegression classifier = Fit(tunedPieces, labels, weights, _ => true);
        GuardPieceSet basePieces = GuardPieceSet.Build(fitTexts, embedder, PhraseMatcher.Default, ct);
        LogisticRegression partner = Fit(basePieces, labels, weights, _ => true);
        if (threshold is null)
        {
            GuardPieceSet tunedHeld = GuardPieceSet.Build(validationTexts, encoder, PhraseMatcher.Default, ct);
            GuardPieceSet baseHeld = GuardPieceSet.Build(validationTexts, embedder, PhraseMatcher.Default, ct);
            double[] tunedScores = tunedHeld.MaxPerText(p => tunedHeld.Probability(classifier, p));
            double[] baseScores = baseHeld.MaxPerText(p => baseHeld.Probability(partner, p));
            threshold = LowestThreshold(validation, [.. tunedScores.Zip(baseScores, (a, b) => (a + b) / 2)]);
        }
        string provenance = string.Create(CultureInfo.InvariantCulture,
            $"{source ?? "data"}: {fit.Length} train rows (encoder tuned {tuned.Epoch} of {options.Epochs} epochs at lr {options.LearningRate}, " +
            $"stored at rank {options.Rank}; partner classifier on the frozen embedder), {validation.Length} validation rows");
        return Report(embedder, classifier, threshold.Value, tuned.Encoder, ModelOf(embedder, partner, 0.5), test, provenance, ct);
    }

    /// <summary>Every how many template groups one goes to <see cref="TrainTuned"/>'s validation rows.</summary>
    public const int ValidationEvery = 5;

    /// <summary>
    /// <see cref="TrainTuned"/>'s split of the train rows: the rows of every <see cref="ValidationEvery"/>th template group (in
    /// ordinal order of the group names) are the validation rows, the rest the fit rows. Throws when there are no validation
    /// rows or the fit rows lack a label; <paramref name="source"/> names the data in that message.
    /// </summary>
    public static (GuardExample[] Fit, GuardExample[] Validation) ValidationSplit(IReadOnlyList<GuardExample> train, string? source = null)
    {
        string[] groups = [.. train.Select(e => e.Group).Distinct().Order(StringComparer.Ordinal)];
        var validationGroups = groups.Where((_, i) => i % ValidationEvery == ValidationEvery - 1).ToHashSet(StringComparer.Ordinal);
        GuardExample[] fit = [.. train.Where(e => !validationGroups.Contains(e.Group))], validation = [.. train.Where(e => validationGroups.Contains(e.Group))];
        if (validation.Length == 0 || !fit.Any(e => e.Injection) || !fit.Any(e => !e.Injection))
        {
            throw new ArgumentException($"{source ?? "data"}: tuning the encoder needs at least {ValidationEvery} template groups in the train split " +
                $"(every {ValidationEvery}th is set aside for validation) and both labels in the rest; found {groups.Length} groups");
        }
        return (fit, validation);
    }

    private static GuardModel ModelOf(ITextEmbedder embedder, LogisticRegression classifier, double threshold) => new()
    {
        Embedder = embedder.ModelName, Weights = classifier.Weights, WordWeights = classifier.WordWeights, GramWeights = classifier.GramWeights,
        GramValue = classifier.GramValue, Bias = classifier.Bias, Threshold = threshold,
    };

    private static GuardReport Report(ITextEmbedder embedder, LogisticRegression classifier, double threshold, GuardEncoder? encoder, GuardModel? partner,
        GuardExample[] test, string provenance, CancellationToken ct)
    {
        GuardModel model = ModelOf(embedder, classifier, threshold) with { Encoder = encoder, Partner = partner };
        IReadOnlyList<GuardRates> rates = [];
        if (test.Length > 0)
        {
            using var guard = new InjectionGuardView(embedder, model);
            rates = Evaluate(guard, test, ct);
        }
        provenance += $", {test.Length} held-out rows" + (rates.Count > 0 ? $"; held-out {rates[0]}" : "");
        return new GuardReport(model with { Provenance = provenance }, rates);
    }

    /// <summary>
    /// Per row, 1 / (rows of its source file with its label): each data file weighs the same in the fit, so several hundred
    /// hand-written rows are not drowned by a larger file of template rows.
    /// </summary>
    public static double[] SourceWeights(IReadOnlyList<GuardExample> rows)
    {
        var counts = rows.CountBy(e => (e.Source, e.Injection)).ToDictionary();
        return [.. rows.Select(e => 1.0 / counts[(e.Source, e.Injection)])];
    }

    /// <summary>
    /// Fits on the pieces of the texts <paramref name="use"/> selects, each piece weighing its text's
    /// <paramref name="rowWeights"/>: windows labelled as their text, sentences of benign texts benign; then again with each
    /// selected injection's highest-scoring sentence added as an injection.
    /// </summary>
    public static LogisticRegression Fit(GuardPieceSet pieces, IReadOnlyList<bool> labels, IReadOnlyList<double> rowWeights, Func<int, bool> use,
        int steps = 3000)
    {
        var chosen = new List<int>();
        for (int p = 0; p < pieces.Count; p++)
        {
            int t = pieces.Owner[p];
            if (use(t) && !(pieces.IsSentence[p] && labels[t])) chosen.Add(p);
        }
        LogisticRegression Train(List<int> rows, Func<int, bool> label) => LogisticRegression.Train([.. rows.Select(p => pieces.Features[p])],
            [.. rows.Select(label)], [.. rows.Select(p => pieces.Words[p])], GuardModel.WordBuckets, [.. rows.Select(p => rowWeights[pieces.Owner[p]])],
            steps: steps, grams: [.. rows.Select(p => pieces.Grams[p])], gramBuckets: GuardModel.GramBuckets, gramValue: InjectionGuard.GramValue);
        LogisticRegression first = Train(chosen, p => labels[pieces.Owner[p]]);
        var best = new Dictionary<int, (int Piece, double Score)>();
        for (int p = 0; p < pieces.Count; p++)
        {
            int t = pieces.Owner[p];
            if (!use(t) || !pieces.IsSentence[p] || !labels[t]) continue;
            double score = pieces.Probability(first, p);
            if (!best.TryGetValue(t, out var b) || score > b.Score) best[t] = (p, score);
        }
        if (best.Count == 0) return first;
        return Train([.. chosen, .. best.Values.Select(b => b.Piece).Order()], p => labels[pieces.Owner[p]]);
    }

    /// <summary>The false-positive rate the cross-validated threshold allows in each data file.</summary>
    public const double TargetFalsePositiveRate = 0.05;

    /// <summary>
    /// Five-fold cross-validation over the train split, folds by template group (a template, or a hand-written scenario in
    /// all its languages): every row gets an out-of-fold score (its highest piece's), and the threshold is the lowest of
    /// 0.30, 0.31, …, 0.99 whose out-of-fold false-positive rate is at most <see cref="TargetFalsePositiveRate"/> in every
    /// source file and language (<see cref="LowestThreshold"/>). The held-out split plays no part.
    /// </summary>
    public static double ChooseThreshold(IReadOnlyList<GuardExample> train, GuardPieceSet pieces)
    {
        const int Folds = 5;
        string[] groups = [.. train.Select(e => e.Group).Distinct().Order(StringComparer.Ordinal)];
        var foldOf = groups.Select((g, i) => (g, i % Folds)).ToDictionary(p => p.g, p => p.Item2, StringComparer.Ordinal);
        bool[] labels = [.. train.Select(e => e.Injection)];
        double[] weights = SourceWeights(train);
        var scores = new double[train.Count];
        for (int fold = 0; fold < Folds; fold++)
        {
            int f = fold;
            bool InFold(int t) => foldOf[train[t].Group] == f;
            if (!Enumerable.Range(0, train.Count).Any(InFold)) continue;
            LogisticRegression model = Fit(pieces, labels, weights, t => !InFold(t));
            double[] outOfFold = pieces.MaxPerText(p => pieces.Probability(model, p), InFold);
            for (int t = 0; t < train.Count; t++) if (InFold(t)) scores[t] = outOfFold[t];
        }
        return LowestThreshold(train, scores);
    }

    /// <summary>
    /// The lowest of 0.30, 0.31, …, 0.99 that at most <see cref="TargetFalsePositiveRate"/> of the benign rows of each source
    /// file in each language reach: the easy template rows cannot hide the hand-written ones' false alarms, nor three languages
    /// one language's. When even 0.99 lets more through (a classifier fitted on the rows a tuned encoder has learned scores
    /// confidently, so the threshold must sit in its top percent), the lowest threshold that meets the rate, just above the
    /// highest benign score it must let pass.
    /// </summary>
    public static double LowestThreshold(IReadOnlyList<GuardExample> rows, double[] scores)
    {
        // The benign rows' scores, one group per source file and language.
        double[][] groups = [.. rows.Select((e, i) => (e, i)).Where(p => !p.e.Injection)
            .GroupBy(p => (p.e.Source, p.e.Language), p => scores[p.i]).Select(g => g.ToArray())];
        for (int step = 30; step <= 99; step++)
        {
            double t = step / 100.0;
            if (groups.All(g => g.Count(s => s >= t) <= TargetFalsePositiveRate * g.Length)) return t;
        }
        double threshold = 0.99;
        foreach (double[] group in groups)
        {
            double[] benign = [.. group.OrderDescending()];
            int allowed = (int)(TargetFalsePositiveRate * benign.Length);
            threshold = Math.Max(threshold, Math.BitIncrement(benign[allowed]));
        }
        return Math.Min(threshold, 1.0);
    }

    /// <summary>
    /// Rates of <paramref name="guard"/> on <paramref name="test"/>: all rows, then each source file (when more than one),
    /// each language, each kind.
    /// </summary>
    public static IReadOnlyList<GuardRates> Evaluate(InjectionGuardView guard, IReadOnlyList<GuardExample> test, CancellationToken ct = default)
    {
        IReadOnlyList<GuardResult> results = guard.Check([.. test.Select(e => e.Text)], ct);
        var rows = test.Zip(results).ToArray();
        var rates = new List<GuardRates> { Rates("all", rows) };
        var sources = rows.GroupBy(r => r.First.Source).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
        if (sources.Length > 1) foreach (var group in sources) rates.Add(Rates("source " + group.Key, [.. group]));
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

/// <summary>
/// An <see cref="InjectionGuard"/> over an embedder it does not own: disposing it frees only the tuned encoder the model may
/// carry and leaves the embedder open.
/// </summary>
public sealed class InjectionGuardView(ITextEmbedder embedder, GuardModel model) : IDisposable
{
    private readonly InjectionGuard _guard = new(embedder, model, matcher: null, ownsEmbedder: false);

    /// <summary>See <see cref="InjectionGuard.Check(IReadOnlyList{string}, double?, CancellationToken)"/>.</summary>
    public IReadOnlyList<GuardResult> Check(IReadOnlyList<string> texts, CancellationToken ct = default) => _guard.Check(texts, null, ct);

    public void Dispose() => _guard.Dispose();
}
