// The guard's model file (guard.json): the classifier's weights over embedding and phrase features, the embedder it read, the threshold.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quill.Safety;

/// <summary>
/// What <c>quill guard train</c> writes and the guard reads. One logistic regression reads a piece of text as its embedding
/// followed by one 0/1 flag per phrase family (<see cref="InjectionKind"/>, in enum order) that the matcher found in it, so
/// the weight of a phrase hit is learned next to the embedding instead of overruling it, plus its hashed words
/// (<see cref="WordWeights"/>) and character n-grams (<see cref="GramWeights"/>). <see cref="Threshold"/>: scores at or above
/// it are injections.
/// </summary>
public sealed record GuardModel
{
    /// <summary>The embedding model whose vectors the weights read (all-MiniLM-L6-v2).</summary>
    public required string Embedder { get; init; }

    /// <summary>Classifier weights: one per embedding dimension, then one per phrase family (<see cref="PhraseFeatures"/>).</summary>
    public required float[] Weights { get; init; }

    /// <summary>
    /// Classifier weights of the hashed words and word pairs of a piece (<see cref="InjectionGuard.Words"/>), one per bucket;
    /// they carry the cue words of French, German and Spanish that the English embedder reads poorly.
    /// </summary>
    public float[] WordWeights { get; init; } = [];

    /// <summary>Hashed word buckets of a newly trained model.</summary>
    public const int WordBuckets = 1 << 14;

    /// <summary>
    /// Classifier weights of the hashed character n-grams of a piece (<see cref="InjectionGuard.Grams"/>), one per bucket;
    /// empty in a model trained before they were read (its scores then leave them out).
    /// </summary>
    public float[] GramWeights { get; init; } = [];

    /// <summary>Hashed character n-gram buckets of a newly trained model.</summary>
    public const int GramBuckets = 1 << 14;

    /// <summary>The norm of a piece's n-gram features the weights were trained with (<see cref="InjectionGuard.GramValue"/>).</summary>
    public float GramValue { get; init; } = 1f;

    /// <summary>Classifier intercept.</summary>
    public required float Bias { get; init; }

    /// <summary>Scores at or above are "injection".</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Features after the embedding: one flag per <see cref="InjectionKind"/>.</summary>
    public static int PhraseFeatures { get; } = Enum.GetValues<InjectionKind>().Length;

    /// <summary>The embedding dimensions the weights read.</summary>
    [JsonIgnore]
    public int EmbeddingDimensions => Weights.Length - PhraseFeatures;

    /// <summary>
    /// The guard's own tuned encoder as a change to <see cref="Embedder"/>; null when the classifier reads the embedder's vectors
    /// as they are.
    /// </summary>
    public GuardEncoder? Encoder { get; init; }

    /// <summary>
    /// A second classifier over the same features, reading the base embedder's vectors (never an encoder or partner of its
    /// own); when set, a text's score is the mean of the two classifiers' text scores. <c>quill guard train --tune-encoder</c>
    /// pairs the tuned encoder's classifier with one over the frozen embedder: each errs on different texts.
    /// </summary>
    public GuardModel? Partner { get; init; }

    /// <summary>Where the model came from: the data file, its row counts, the held-out figures.</summary>
    public string? Provenance { get; init; }


    /// <summary>The classifier part.</summary>
    public LogisticRegression Classifier() => new(Weights, Bias, WordWeights, GramWeights, GramValue);

    /// <summary>Reads a guard.json file.</summary>
    public static GuardModel Load(string path)
    {
        using FileStream file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>The model shipped inside Quill.Safety (trained on data/guard/guard.jsonl).</summary>
    public static GuardModel Default()
    {
        using Stream stream = typeof(GuardModel).Assembly.GetManifestResourceStream("Quill.Safety.guard.json")
            ?? throw new InvalidOperationException("Quill.Safety was built without its default guard.json; train one with `quill guard train`");
        return Read(stream, "the built-in guard.json");
    }

    /// <summary>Writes the model as JSON.</summary>
    public void Save(string path)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, GuardJsonContext.Default.GuardModel));
        File.Move(temporary, path, overwrite: true);
    }

    private static GuardModel Read(Stream stream, string source)
    {
        try
        {
            GuardModel model = JsonSerializer.Deserialize(stream, GuardJsonContext.Default.GuardModel)
                ?? throw new InvalidDataException($"{source}: expected a JSON object");
            model = Checked(model, source);
            if (model.Partner is { } partner)
            {
                if (partner.Encoder is not null || partner.Partner is not null)
                    throw new InvalidDataException($"{source}: the partner classifier reads the base embedder; it cannot carry an encoder or a partner");
                model = model with { Partner = Checked(partner, source + " (partner)") };
            }
            return model;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a guard model ({e.Message})", e);
        }
    }

    private static GuardModel Checked(GuardModel model, string source)
    {
        if (model.Weights is null || model.Weights.Length <= PhraseFeatures)
        {
            throw new InvalidDataException($"{source}: expected embedding weights followed by {PhraseFeatures} phrase-family weights, " +
                $"found {model.Weights?.Length ?? 0} weights; retrain with `quill guard train`");
        }
        // The source-generated reader sets a missing init-only array to null, not to its initializer's [].
        model = model with { WordWeights = model.WordWeights ?? [], GramWeights = model.GramWeights ?? [] };
        if (model.Encoder is { } encoder && (encoder.Base is null || encoder.Deltas is null || encoder.Vectors is null))
            throw new InvalidDataException($"{source}: expected the encoder's base, deltas and vectors; retrain with `quill guard train`");
        CheckBuckets(source, "word_weights", model.WordWeights.Length, WordBuckets);
        CheckBuckets(source, "gram_weights", model.GramWeights.Length, GramBuckets);
        if (model.GramWeights.Length > 0 && !(float.IsFinite(model.GramValue) && model.GramValue > 0))
        {
            throw new InvalidDataException($"{source}: expected a positive gram_value next to gram_weights, found {model.GramValue}; " +
                "retrain with `quill guard train`");
        }
        return model;
    }

    // Hashed ids are taken modulo the bucket count this build uses, so a file with another count would index out of range.
    private static void CheckBuckets(string source, string name, int found, int buckets)
    {
        if (found != 0 && found != buckets)
        {
            throw new InvalidDataException($"{source}: expected {buckets} {name} (one per hashed bucket) or none, found {found}; " +
                "retrain with `quill guard train`");
        }
    }
}

/// <summary>The source-generated JSON of guard.json (snake_case), so trimmed and NativeAOT builds read and write it without reflection.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = false,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(GuardModel))]
internal sealed partial class GuardJsonContext : JsonSerializerContext;
