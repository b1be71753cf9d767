// The guard's model file (guard.json): the classifier's weights, the embedder it was trained over, the threshold and the matcher's weight.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quill.Safety;

/// <summary>
/// What <c>quill guard train</c> writes and the guard reads. <see cref="MatcherWeight"/> is the probability a phrase hit
/// alone gives: the score is the noisy-OR 1 − (1 − p_classifier)(1 − MatcherWeight·hit), so a hit lifts any text to at
/// least MatcherWeight and the classifier decides the rest. <see cref="Threshold"/>: scores at or above it are injections.
/// </summary>
public sealed record GuardModel
{
    /// <summary>The embedding model whose vectors the weights read (all-MiniLM-L6-v2).</summary>
    public required string Embedder { get; init; }

    /// <summary>Classifier weights, one per embedding dimension.</summary>
    public required float[] Weights { get; init; }

    /// <summary>Classifier intercept.</summary>
    public required float Bias { get; init; }

    /// <summary>Scores at or above are "injection".</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Probability of injection a phrase-matcher hit contributes.</summary>
    public double MatcherWeight { get; init; } = DefaultMatcherWeight;

    /// <summary>The matcher weight of a newly trained model.</summary>
    public const double DefaultMatcherWeight = 0.9;

    /// <summary>Where the model came from: the data file, its row counts, the held-out figures.</summary>
    public string? Provenance { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The classifier part.</summary>
    public LogisticRegression Classifier() => new(Weights, Bias);

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
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private static GuardModel Read(Stream stream, string source)
    {
        try
        {
            GuardModel model = JsonSerializer.Deserialize<GuardModel>(stream, Json) ?? throw new InvalidDataException($"{source}: expected a JSON object");
            if (model.Weights.Length == 0) throw new InvalidDataException($"{source}: 'weights' is empty");
            return model;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a guard model ({e.Message})", e);
        }
    }
}
