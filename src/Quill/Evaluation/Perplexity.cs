// Perplexity of a model on a text by llama-perplexity's method, and the KL divergence from a base model on the same chunks.
using Quill.Models;

namespace Quill.Evaluation;

/// <summary>How a perplexity run cuts and scores the text.</summary>
public sealed record PerplexityOptions
{
    /// <summary>Tokens per chunk (llama-perplexity's -c; 512 by default).</summary>
    public int Context { get; init; } = 512;

    /// <summary>At most this many chunks (--chunks); null: every whole chunk of the text.</summary>
    public int? MaxChunks { get; init; }

    /// <summary>Reports after each chunk.</summary>
    public IProgress<PerplexityProgress>? Progress { get; init; }
}

/// <summary>Chunk <paramref name="Chunk"/> (1-based) of <paramref name="Chunks"/> is scored; the running estimate.</summary>
public sealed record PerplexityProgress(int Chunk, int Chunks, double RunningPerplexity);

/// <summary>
/// A perplexity run: exp of the mean negative log-likelihood of the scored tokens, its standard error (llama.cpp's:
/// ppl · √(var(nll) / (n − 1))), the chunk and token counts, each chunk's own perplexity, and with a base model the
/// comparison (<see cref="KlDivergenceStatistics"/>).
/// </summary>
public sealed record PerplexityResult(double Perplexity, double StandardError, int Chunks, int Tokens, IReadOnlyList<double> ChunkPerplexities)
{
    /// <summary>The comparison with the base model, when one was given.</summary>
    public KlDivergenceStatistics? KlDivergence { get; init; }

    /// <summary>Tokens in the whole text as tokenized (BOS included where the vocabulary adds one).</summary>
    public int TextTokens { get; init; }
}

/// <summary>
/// llama-perplexity's method: the whole text tokenized once (with BOS where the vocabulary adds one), cut into ⌊n / ctx⌋
/// chunks of ctx tokens, each chunk evaluated from an empty cache with its first token replaced by BOS (where the
/// vocabulary adds one), and only the second half scored: the logits at positions ctx/2 … ctx−2 against the tokens
/// that follow. Log-softmax as llama.cpp computes it (the exponentials summed in double). At least 2·ctx tokens are
/// needed, as llama.cpp requires.
/// </summary>
public static class PerplexityEvaluator
{
    /// <summary>Perplexity of <paramref name="model"/> on <paramref name="text"/>.</summary>
    public static PerplexityResult Evaluate(LanguageModel model, string text, PerplexityOptions? options = null) =>
        Evaluate(model, null, text, options);

    /// <summary>
    /// Perplexity of <paramref name="model"/> on <paramref name="text"/>, and with <paramref name="baseModel"/> the KL
    /// divergence from it on the same chunks (llama-perplexity's --kl-divergence statistics, with the base model's
    /// exact log-probabilities where llama.cpp stores them rounded to 16 bits). Both must share the vocabulary size; the
    /// text is tokenized by <paramref name="model"/>'s tokenizer.
    /// </summary>
    public static PerplexityResult Evaluate(LanguageModel model, LanguageModel? baseModel, string text, PerplexityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        options ??= new PerplexityOptions();
        int ctx = options.Context;
        if (ctx < 4) throw new ArgumentOutOfRangeException(nameof(options), ctx, "the context must be at least 4 tokens");
        int vocab = model.Model.VocabSize;
        if (baseModel is not null && baseModel.Model.VocabSize != vocab)
        {
            throw new ArgumentException($"{baseModel.Path}: the base model has {baseModel.Model.VocabSize} tokens, {model.Path} has {vocab}: " +
                "a KL divergence needs the same vocabulary");
        }
        int[] tokens = model.Tokenizer.Encode(text, addSpecial: true);
        if (tokens.Length < 2 * ctx)
        {
            throw new ArgumentException($"the text is {tokens.Length} tokens; perplexity with a context of {ctx} needs at least {2 * ctx} " +
                "(llama-perplexity's rule: two chunks)");
        }
        int chunks = tokens.Length / ctx;
        if (options.MaxChunks is { } max) chunks = Math.Min(chunks, Math.Max(1, max));
        bool addBos = AddsBos(model);
        int first = ctx / 2, scored = ctx - 1 - first;

        using IInferenceState state = model.Model.CreateState(ctx);
        using IInferenceState? baseState = baseModel?.Model.CreateState(ctx);
        var logits = new float[(long)ctx * vocab];
        float[]? baseLogits = baseModel is null ? null : new float[(long)ctx * vocab];
        var chunk = new int[ctx];
        var nll = new List<double>(chunks * scored);
        var baseNll = baseModel is null ? null : new List<double>(chunks * scored);
        var comparison = baseModel is null ? null : new KlDivergenceAccumulator(chunks * scored);
        var perChunk = new double[chunks];
        for (int c = 0; c < chunks; c++)
        {
            Array.Copy(tokens, c * ctx, chunk, 0, ctx);
            if (addBos) chunk[0] = model.Tokenizer.BosId;
            state.Truncate(0);
            state.AppendAll(chunk, logits);
            if (baseState is not null)
            {
                baseState.Truncate(0);
                baseState.AppendAll(chunk, baseLogits);
            }
            double chunkSum = 0;
            for (int i = first; i < ctx - 1; i++)
            {
                int target = tokens[c * ctx + i + 1];
                var row = new ReadOnlySpan<float>(logits, i * vocab, vocab);
                double v = -LogSoftmax(row, target);
                nll.Add(v);
                chunkSum += v;
                if (baseLogits is not null)
                {
                    var baseRow = new ReadOnlySpan<float>(baseLogits, i * vocab, vocab);
                    baseNll!.Add(-LogSoftmax(baseRow, target));
                    comparison!.Add(baseRow, row, target);
                }
            }
            perChunk[c] = Math.Exp(chunkSum / scored);
            options.Progress?.Report(new PerplexityProgress(c + 1, chunks, Math.Exp(nll.Average())));
        }
        (double ppl, double error) = PerplexityOf(nll);
        return new PerplexityResult(ppl, error, chunks, nll.Count, perChunk)
        {
            TextTokens = tokens.Length,
            KlDivergence = comparison?.Finish(nll, baseNll!),
        };
    }

    /// <summary>exp(mean nll) and llama.cpp's error: ppl · √((mean(nll²) − mean(nll)²) / (n − 1)).</summary>
    internal static (double Perplexity, double StandardError) PerplexityOf(IReadOnlyList<double> nll)
    {
        double sum = 0, squares = 0;
        foreach (double v in nll)
        {
            sum += v;
            squares += v * v;
        }
        double mean = sum / nll.Count, variance = squares / nll.Count - mean * mean;
        double ppl = Math.Exp(mean);
        return (ppl, variance > 0 && nll.Count > 1 ? Math.Sqrt(variance / (nll.Count - 1)) * ppl : 0);
    }

    /// <summary>llama.cpp's log_softmax for one token: logits[tok] − max − log Σ exp(logit − max), the sum in double.</summary>
    public static double LogSoftmax(ReadOnlySpan<float> logits, int token)
    {
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++) max = Math.Max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += MathF.Exp(logits[i] - max);
        return logits[token] - max - Math.Log(sum);
    }

    /// <summary>Whether the model's tokenizer puts BOS first (llama_vocab_get_add_bos), read from what it does.</summary>
    private static bool AddsBos(LanguageModel model)
    {
        int bos = model.Tokenizer.BosId;
        if (bos < 0) return false;
        int[] probe = model.Tokenizer.Encode("a", addSpecial: true);
        return probe.Length > 0 && probe[0] == bos;
    }
}
