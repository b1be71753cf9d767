// Scores texts for prompt injection: one classifier over each piece's embedding, phrase flags, hashed words and n-grams; a text scores as its worst piece.
using Quill.Embeddings;

namespace Quill.Safety;

/// <summary>
/// What the guard decided about one text: the score (the highest piece's probability of injection; with a partner
/// classifier, the mean of the two classifiers' scores), the same score without the phrase flags, and the phrases that
/// matched anywhere in it.
/// </summary>
public sealed record GuardResult(bool Injection, double Score, double ClassifierScore, IReadOnlyList<PhraseHit> Hits)
{
    /// <summary>"injection" or "benign".</summary>
    public string Label => Injection ? "injection" : "benign";
}

/// <summary>
/// A text is cut into <see cref="GuardPieces"/> (word windows that fit the embedder, and sentences); each piece is read as
/// <see cref="Features"/> (its embedding and the phrase families the matcher finds in it), <see cref="Words"/> and
/// <see cref="Grams"/> by the model's logistic regression, and the text's score is the highest piece's. Thread-safe when the embedder is.
/// </summary>
public sealed class InjectionGuard : IDisposable
{
    private readonly ITextEmbedder _embedder, _base;
    private readonly ITextEmbedder? _owned, _tuned;
    private readonly LogisticRegression _classifier;
    private readonly LogisticRegression? _partner;
    private readonly PhraseMatcher _matcher;

    /// <summary>
    /// A guard over <paramref name="embedder"/> (owned: disposed with the guard), or over the tuned encoder the model carries
    /// (<see cref="GuardModel.Encoder"/>), built from it.
    /// </summary>
    public InjectionGuard(ITextEmbedder embedder, GuardModel model, PhraseMatcher? matcher = null)
        : this(embedder, model, matcher, ownsEmbedder: true)
    {
    }

    /// <summary>
    /// The guard, owning <paramref name="embedder"/> when <paramref name="ownsEmbedder"/>; <paramref name="source"/> names the
    /// model in errors about its encoder (its path, when loaded from a file).
    /// </summary>
    internal InjectionGuard(ITextEmbedder embedder, GuardModel model, PhraseMatcher? matcher, bool ownsEmbedder, string? source = null)
    {
        _owned = ownsEmbedder ? embedder : null;
        try
        {
            _tuned = model.Encoder?.Wrap(embedder, source ?? "the guard model");
            _base = embedder;
            _embedder = _tuned ?? embedder;
            _classifier = CheckDimensions(_embedder, model).Classifier();
            _partner = model.Partner is { } partner ? CheckDimensions(embedder, partner).Classifier() : null;
        }
        catch
        {
            _tuned?.Dispose();
            _owned?.Dispose();
            throw;
        }
        _matcher = matcher ?? PhraseMatcher.Default;
        Model = model;
    }

    /// <summary>The model in use.</summary>
    public GuardModel Model { get; }

    /// <summary>The embedder that reads the pieces: the model's tuned encoder when it has one, else the one given.</summary>
    public ITextEmbedder Embedder => _embedder;

    /// <summary>Loads the built-in embedder and <paramref name="modelPath"/> (null: the shipped model).</summary>
    public static InjectionGuard Load(string? modelPath = null, string? embedderCacheFolder = null, int threads = 0)
    {
        GuardModel model = modelPath is null ? GuardModel.Default() : GuardModel.Load(modelPath);
        return new(DefaultEmbedder.Load(embedderCacheFolder, threads), model, matcher: null, ownsEmbedder: true, modelPath ?? "the built-in guard.json");
    }

    /// <summary>Scores each text, with <paramref name="threshold"/> overriding the model's.</summary>
    public IReadOnlyList<GuardResult> Check(IReadOnlyList<string> texts, double? threshold = null, CancellationToken ct = default)
    {
        GuardPieceSet pieces = GuardPieceSet.Build(texts, _embedder, _matcher, ct);
        double[] score = pieces.MaxPerText(p => pieces.Probability(_classifier, p));
        double[] plain = pieces.MaxPerText(p => EmbeddingOnly(_classifier, pieces.Features[p]));
        if (_partner is not null)
        {
            GuardPieceSet basePieces = _tuned is null ? pieces : GuardPieceSet.Build(texts, _base, _matcher, ct);
            double[] partner = basePieces.MaxPerText(p => basePieces.Probability(_partner, p));
            double[] partnerPlain = basePieces.MaxPerText(p => EmbeddingOnly(_partner, basePieces.Features[p]));
            for (int t = 0; t < texts.Count; t++)
            {
                score[t] = (score[t] + partner[t]) / 2;
                plain[t] = (plain[t] + partnerPlain[t]) / 2;
            }
        }
        var results = new GuardResult[texts.Count];
        for (int t = 0; t < texts.Count; t++)
            results[t] = new GuardResult(score[t] >= (threshold ?? Model.Threshold), score[t], plain[t], _matcher.Match(texts[t]));
        return results;
    }

    /// <summary>Scores one text.</summary>
    public GuardResult Check(string text, double? threshold = null) => Check([text], threshold)[0];

    /// <summary>
    /// The value of a phrase family's feature when it matched. Below 1 so that L2 holds the phrase weights back: at 1 the
    /// template rows, where a hit almost always means injection, gave each hit a weight that overruled the embedding on
    /// look-alikes ("my doctor said to disregard the previous dosage instructions").
    /// </summary>
    public const float PhraseFlag = 0.3f;

    /// <summary>
    /// The norm of a piece's character n-gram features (<see cref="Grams"/>, each worth this over √count), like the word
    /// features' 1 and the embedding's.
    /// </summary>
    public const float GramValue = 1f;

    /// <summary>A piece's classifier input: its embedding, then <see cref="PhraseFlag"/> or 0 for each <see cref="InjectionKind"/>.</summary>
    public static float[] Features(ReadOnlySpan<float> embedding, IReadOnlyList<PhraseHit> hits)
    {
        var features = new float[embedding.Length + GuardModel.PhraseFeatures];
        embedding.CopyTo(features);
        foreach (PhraseHit hit in hits) features[embedding.Length + (int)hit.Kind] = PhraseFlag;
        return features;
    }

    /// <summary>
    /// The distinct hashed buckets (FNV-1a, below <see cref="GuardModel.WordBuckets"/>) of the words and adjacent word pairs
    /// of <see cref="TextFolding.Words"/>(<paramref name="piece"/>), in ascending order.
    /// </summary>
    public static int[] Words(string piece, int buckets = GuardModel.WordBuckets)
    {
        string[] words = TextFolding.Words(piece).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ids = new HashSet<int>();
        for (int i = 0; i < words.Length; i++)
        {
            ids.Add(Bucket(words[i], buckets));
            if (i + 1 < words.Length) ids.Add(Bucket(words[i] + " " + words[i + 1], buckets));
        }
        return Ascending(ids);
    }

    /// <summary>The character n-gram lengths of <see cref="Grams"/>.</summary>
    public const int ShortestGram = 3, LongestGram = 5;

    /// <summary>
    /// The distinct hashed buckets (FNV-1a, below <paramref name="buckets"/>) of the character n-grams, <paramref name="shortest"/>
    /// to <paramref name="longest"/> long, of each word of <see cref="TextFolding.Words"/>(<paramref name="piece"/>) padded with
    /// a space on each side (" ignoriere " gives " ig", "ign", …, "ere "), in ascending order; a padded word shorter than
    /// <paramref name="shortest"/> is one n-gram. They carry what whole-word hashes split apart: inflections and misspellings
    /// ("ignoriere", "ignorieren", "ignoriert"; "oublie", "oubliez").
    /// </summary>
    public static int[] Grams(string piece, int buckets = GuardModel.GramBuckets, int shortest = ShortestGram, int longest = LongestGram)
    {
        var ids = new HashSet<int>();
        foreach (string word in TextFolding.Words(piece).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string padded = " " + word + " ";
            if (padded.Length < shortest) ids.Add(Bucket(padded, buckets));
            for (int n = shortest; n <= longest && n <= padded.Length; n++)
                for (int i = 0; i + n <= padded.Length; i++) ids.Add(Bucket(padded.AsSpan(i, n), buckets));
        }
        return Ascending(ids);
    }

    private static int[] Ascending(HashSet<int> ids)
    {
        int[] sorted = [.. ids];
        Array.Sort(sorted);
        return sorted;
    }

    private static int Bucket(ReadOnlySpan<char> term, int buckets)
    {
        uint hash = 2166136261;
        foreach (char c in term) hash = (hash ^ c) * 16777619;
        return (int)(hash % (uint)buckets);
    }

    // The classifier with the phrase flags and words left out: what the embedding alone says.
    private static double EmbeddingOnly(LogisticRegression classifier, float[] features)
    {
        var embedding = (float[])features.Clone();
        Array.Clear(embedding, embedding.Length - GuardModel.PhraseFeatures, GuardModel.PhraseFeatures);
        return classifier.Probability(embedding);
    }

    private static GuardModel CheckDimensions(ITextEmbedder embedder, GuardModel model)
    {
        if (model.EmbeddingDimensions != embedder.Dimensions)
        {
            throw new InvalidDataException($"the guard model reads {model.EmbeddingDimensions}-dimensional vectors of '{model.Embedder}', " +
                $"but the embedder '{embedder.ModelName}' gives {embedder.Dimensions}");
        }
        return model;
    }

    /// <summary>Disposes the tuned encoder, and the embedder when the guard owns it.</summary>
    public void Dispose()
    {
        _tuned?.Dispose();
        _owned?.Dispose();
    }
}

/// <summary>The pieces of a batch of texts, each with the index of its text and its classifier features.</summary>
public sealed class GuardPieceSet
{
    private GuardPieceSet(int texts, int[] owner, bool[] isSentence, float[][] features, int[][] words, int[][] grams) =>
        (TextCount, Owner, IsSentence, Features, Words, Grams) = (texts, owner, isSentence, features, words, grams);

    /// <summary>Texts the pieces were cut from.</summary>
    public int TextCount { get; }

    /// <summary>Which text each piece came from.</summary>
    public int[] Owner { get; }

    /// <summary>Whether the piece is one of <see cref="GuardPieces.Sentences"/> rather than a window.</summary>
    public bool[] IsSentence { get; }

    /// <summary>Each piece's <see cref="InjectionGuard.Features"/>.</summary>
    public float[][] Features { get; }

    /// <summary>Each piece's <see cref="InjectionGuard.Words"/>.</summary>
    public int[][] Words { get; }

    /// <summary>Each piece's <see cref="InjectionGuard.Grams"/>.</summary>
    public int[][] Grams { get; }

    /// <summary>Pieces in all.</summary>
    public int Count => Owner.Length;

    /// <summary>Piece <paramref name="piece"/>'s probability of injection under <paramref name="model"/>.</summary>
    public double Probability(LogisticRegression model, int piece) => model.Probability(Features[piece], Words[piece], Grams[piece]);

    /// <summary>
    /// Per text, the highest <paramref name="score"/> of its pieces: a text scores as its worst piece. Texts without pieces,
    /// or that <paramref name="use"/> leaves out, score 0.
    /// </summary>
    public double[] MaxPerText(Func<int, double> score, Func<int, bool>? use = null)
    {
        var scores = new double[TextCount];
        for (int p = 0; p < Count; p++)
        {
            int t = Owner[p];
            if (use is null || use(t)) scores[t] = Math.Max(scores[t], score(p));
        }
        return scores;
    }

    /// <summary>The same pieces without their word and n-gram features: what a classifier of the embedding and phrase flags alone reads.</summary>
    public GuardPieceSet DenseOnly() =>
        new(TextCount, Owner, IsSentence, Features, [.. Words.Select(_ => Array.Empty<int>())], [.. Grams.Select(_ => Array.Empty<int>())]);

    /// <summary>Cuts every text into pieces, embeds them in one batch and matches phrases in each.</summary>
    public static GuardPieceSet Build(IReadOnlyList<string> texts, ITextEmbedder embedder, PhraseMatcher matcher, CancellationToken ct = default)
    {
        var pieces = new List<string>();
        var owner = new List<int>();
        var isSentence = new List<bool>();
        for (int t = 0; t < texts.Count; t++)
        {
            IReadOnlyList<string> of = GuardPieces.Of(texts[t], out int windows);
            for (int i = 0; i < of.Count; i++)
            {
                pieces.Add(of[i]);
                owner.Add(t);
                isSentence.Add(i >= windows);
            }
        }
        float[][] vectors = pieces.Count == 0 ? [] : embedder.Embed(pieces, ct).Vectors;
        float[][] features = [.. pieces.Select((piece, i) => InjectionGuard.Features(vectors[i], matcher.Match(piece)))];
        return new GuardPieceSet(texts.Count, [.. owner], [.. isSentence], features, [.. pieces.Select(piece => InjectionGuard.Words(piece))],
            [.. pieces.Select(piece => InjectionGuard.Grams(piece))]);
    }
}
