// Repetition, frequency and presence penalties over the latest tokens (llama.cpp's "penalties" sampler); no DRY, no logit bias.
namespace Quill.Generation;

/// <summary>
/// For every token that occurs <c>count &gt; 0</c> times in the last <see cref="LastN"/> tokens of the history:
/// a positive logit is divided by the repeat penalty and a negative one multiplied by it (so the penalty always
/// lowers it), then <c>count × frequency + presence</c> is subtracted (OpenAI's frequency_penalty and presence_penalty).
/// </summary>
public sealed class PenaltySampler : ITokenSampler
{
    private readonly int[] _counts; // (V) occurrences in the window; all zero between calls

    /// <param name="vocabSize">V.</param>
    /// <param name="lastN">Window length; -1 is the whole history, 0 turns the stage off.</param>
    /// <param name="repeat">Repetition penalty; 1 is none.</param>
    /// <param name="frequency">Subtracted per occurrence.</param>
    /// <param name="presence">Subtracted once when the token occurs at all.</param>
    public PenaltySampler(int vocabSize, int lastN, float repeat, float frequency, float presence)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lastN, -1);
        _counts = new int[vocabSize];
        LastN = lastN;
        Repeat = repeat;
        Frequency = frequency;
        Presence = presence;
    }

    /// <summary>Window length; -1 is the whole history.</summary>
    public int LastN { get; }

    /// <summary>Repetition penalty.</summary>
    public float Repeat { get; }

    /// <summary>Frequency penalty.</summary>
    public float Frequency { get; }

    /// <summary>Presence penalty.</summary>
    public float Presence { get; }

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        if (LastN == 0 || (Repeat == 1.0f && Frequency == 0 && Presence == 0)) return;
        ReadOnlySpan<int> window = LastN < 0 || LastN >= history.Length ? history : history[^LastN..];
        if (window.IsEmpty) return;

        foreach (int token in window)
        {
            if ((uint)token >= (uint)_counts.Length) ThrowTokenOutOfRange(token, _counts.Length);
        }
        foreach (int token in window) _counts[token]++;

        if (candidates.IsVocabularyOrder)
        {
            // Candidate i is token i: touch only the tokens in the window (at most LastN of them), not all V.
            Span<float> logits = candidates.Logits;
            foreach (int token in window)
            {
                int count = _counts[token];
                if (count == 0) continue; // already penalised
                _counts[token] = 0;
                logits[token] = Penalise(logits[token], count);
            }
        }
        else
        {
            Span<int> ids = candidates.Ids;
            Span<float> logits = candidates.Logits;
            for (int i = 0; i < ids.Length; i++)
            {
                int count = _counts[ids[i]];
                if (count > 0) logits[i] = Penalise(logits[i], count);
            }
            foreach (int token in window) _counts[token] = 0;
        }
        candidates.MarkUnsorted();
    }

    private float Penalise(float logit, int count)
    {
        logit = logit <= 0 ? logit * Repeat : logit / Repeat;
        return logit - (count * Frequency + Presence);
    }

    private static void ThrowTokenOutOfRange(int token, int vocabSize) =>
        throw new ArgumentOutOfRangeException(nameof(token), token, $"penalties: expected token ids in [0, {vocabSize}), found {token} in the history");
}
