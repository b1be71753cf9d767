// The knobs of one sampling run, named and defaulted as llama.cpp's common params and OpenAI's API.
namespace Quill.Generation;

/// <summary>
/// How the next token is picked from the logits. Defaults are llama.cpp's (temperature 0.8, top-k 40, top-p 0.95,
/// min-p 0.05, penalties off). <see cref="Sampler.Create"/> turns these into a chain in llama.cpp's order:
/// penalties → top-k → top-p → min-p → temperature → draw.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Divides the logits before the draw; 0 or less picks the most likely token (greedy) and ignores the seed.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keeps the K most likely tokens; 0 turns it off.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keeps the smallest set of most likely tokens whose probabilities add up to at least P; 1 turns it off.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Keeps tokens whose probability is at least MinP times the top token's; 0 turns it off.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive (multiplies negative) logits of tokens seen in the last <see cref="RepeatLastN"/>; 1 turns it off.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;

    /// <summary>Subtracted once from the logit of every token seen in the window (OpenAI presence_penalty).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence from the logit of every token seen in the window (OpenAI frequency_penalty).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>How many of the latest tokens (prompt included) the penalties look at; -1 is the whole context, 0 turns penalties off.</summary>
    public int RepeatLastN { get; init; } = 64;

    /// <summary>Seed of the draw; the same seed, options and logits give the same tokens. Null picks a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Always the most likely token: temperature 0, no penalties.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>True when the draw is an argmax (temperature 0 or less).</summary>
    public bool IsGreedy => Temperature <= 0;

    /// <summary>True when any of the repetition, presence or frequency penalties would change a logit.</summary>
    public bool HasPenalties => RepeatLastN != 0 && (RepeatPenalty != 1.0f || PresencePenalty != 0 || FrequencyPenalty != 0);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value no sampler can honour.</summary>
    public void Validate()
    {
        if (float.IsNaN(Temperature) || float.IsInfinity(Temperature)) Throw(nameof(Temperature), Temperature, "a finite number");
        if (TopK < 0) Throw(nameof(TopK), TopK, "0 (off) or more");
        if (!(TopP >= 0 && TopP <= 1)) Throw(nameof(TopP), TopP, "between 0 and 1");
        if (!(MinP >= 0 && MinP <= 1)) Throw(nameof(MinP), MinP, "between 0 and 1");
        if (!(RepeatPenalty > 0) || float.IsInfinity(RepeatPenalty)) Throw(nameof(RepeatPenalty), RepeatPenalty, "a finite number above 0");
        if (!float.IsFinite(PresencePenalty)) Throw(nameof(PresencePenalty), PresencePenalty, "a finite number");
        if (!float.IsFinite(FrequencyPenalty)) Throw(nameof(FrequencyPenalty), FrequencyPenalty, "a finite number");
        if (RepeatLastN < -1) Throw(nameof(RepeatLastN), RepeatLastN, "-1 (whole context), 0 (off) or more");
    }

    private static void Throw(string name, object value, string expected) =>
        throw new ArgumentOutOfRangeException(name, value, $"sampling options: {name} must be {expected}, found {value}");
}
