// A generative model prepared for tasks: chat prompts, constrained greedy decoding with per-token scores, and label scoring.
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Models;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tasks.Generative;

/// <summary>What one constrained decode produced: the output bytes and, per token, its byte range and log-probability.</summary>
internal sealed record ConstrainedOutput(byte[] Bytes, IReadOnlyList<ScoredPiece> Pieces, bool Complete)
{
    /// <summary>The mean log-probability of the tokens overlapping bytes [start, end); 0 when none do.</summary>
    public double MeanLogprob(int start, int end)
    {
        double sum = 0;
        int count = 0;
        foreach (ScoredPiece piece in Pieces)
        {
            if (piece.End <= start || piece.Start >= end) continue;
            sum += piece.Logprob;
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /// <summary>The sum of every token's log-probability, end-of-generation included.</summary>
    public double TotalLogprob => Pieces.Sum(p => (double)p.Logprob);
}

/// <summary>One generated token: bytes [Start, End) of the output and its log-probability under the constrained distribution.</summary>
internal readonly record struct ScoredPiece(int Start, int End, float Logprob);

/// <summary>
/// A causal model, its tokenizer and chat template, as the generative tasks use them. Prompts are one user message
/// rendered with the template's generation prompt. Constrained decoding is greedy over the distribution restricted to
/// what the constraint allows (renormalized), which is also where scores come from: a span's score is the mean
/// probability (geometric) of its tokens among the allowed ones. Not thread-safe per call; calls may run concurrently
/// when the model allows concurrent states.
/// </summary>
public sealed class TaskModel
{
    private readonly ICausalModel _model;
    private readonly int _endOfTurn;

    /// <summary>A task model over <paramref name="model"/>; <paramref name="template"/> null uses the tokenizer's fallback (ChatML).</summary>
    public TaskModel(ICausalModel model, ITokenizer tokenizer, ChatTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model;
        Tokenizer = tokenizer;
        Template = template ?? ChatTemplate.Fallback(tokenizer);
        _endOfTurn = FindEndOfTurn();
    }

    /// <summary>A task model over a loaded model with the chat template its file carries (ChatML when none).</summary>
    public static TaskModel FromModel(LanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new TaskModel(model.Model, model.Tokenizer, ChatTemplate.FromGguf(model.File));
    }

    public ITokenizer Tokenizer { get; }

    public ChatTemplate Template { get; }

    /// <summary>Runs free generation (the rewriting tasks).</summary>
    public Generator Generator => new(_model, Tokenizer);

    /// <summary>The prompt tokens of <paramref name="userMessage"/> rendered as one user turn, with the generation prompt.</summary>
    public int[] ChatPrompt(string userMessage, string? systemMessage = null)
    {
        var messages = new List<ChatMessage>(2);
        if (!string.IsNullOrEmpty(systemMessage)) messages.Add(new ChatMessage("system", systemMessage));
        messages.Add(new ChatMessage("user", userMessage));
        return Template.Encode(messages, Tokenizer);
    }

    /// <summary>
    /// Decodes greedily under <paramref name="constraint"/> for at most <paramref name="maxTokens"/> tokens, stopping
    /// at end-of-generation. Throws <see cref="PromptTooLongException"/> when the prompt leaves no room in the context.
    /// </summary>
    internal ConstrainedOutput Decode(int[] prompt, ITokenConstraint constraint, int maxTokens, CancellationToken ct = default)
    {
        int context = ContextFor(prompt.Length, maxTokens);
        maxTokens = Math.Min(maxTokens, context - prompt.Length);
        using IInferenceState state = _model.CreateState(context);
        var logits = new float[_model.VocabSize];
        state.Append(prompt, logits);
        var bytes = new List<byte>();
        var pieces = new List<ScoredPiece>();
        bool complete = false;
        for (int step = 0; step < maxTokens; step++)
        {
            ct.ThrowIfCancellationRequested();
            constraint.RemainingTokens = maxTokens - step;
            constraint.Mask(logits);
            (int token, float logprob) = Best(logits);
            if (token < 0) break;
            if (Tokenizer.IsEndOfGeneration(token))
            {
                pieces.Add(new ScoredPiece(bytes.Count, bytes.Count, logprob));
                complete = true;
                break;
            }
            constraint.Accept(token);
            byte[] piece = Tokenizer.TokenBytes(token);
            pieces.Add(new ScoredPiece(bytes.Count, bytes.Count + piece.Length, logprob));
            bytes.AddRange(piece);
            if (step + 1 < maxTokens) state.Append([token], logits);
        }
        return new ConstrainedOutput([.. bytes], pieces, complete || constraint.IsComplete);
    }

    /// <summary>
    /// The log-probability of each continuation's text after <paramref name="prompt"/> as the whole reply (followed by
    /// the template's end-of-turn token when it has one), computed in one KV cache rewound between continuations.
    /// </summary>
    internal double[] ScoreReplies(int[] prompt, IReadOnlyList<string> replies, CancellationToken ct = default)
    {
        var sequences = new int[replies.Count][];
        int longest = 0;
        for (int i = 0; i < replies.Count; i++)
        {
            int[] text = Tokenizer.Encode(replies[i], addSpecial: false);
            sequences[i] = _endOfTurn >= 0 ? [.. text, _endOfTurn] : text;
            longest = Math.Max(longest, sequences[i].Length);
        }
        int context = ContextFor(prompt.Length, longest);
        int vocab = _model.VocabSize;
        using IInferenceState state = _model.CreateState(context);
        var first = new float[vocab];
        state.Append(prompt, first);
        float firstLogSumExp = LogSoftmax.LogSumExp(first);
        var scores = new double[replies.Count];
        var rows = new float[Math.Max(0, longest - 1) * vocab];
        for (int i = 0; i < sequences.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            int[] sequence = sequences[i];
            if (sequence.Length == 0)
            {
                scores[i] = double.NegativeInfinity;
                continue;
            }
            double total = LogSoftmax.Of(first, sequence[0], firstLogSumExp);
            if (sequence.Length > 1)
            {
                state.Truncate(prompt.Length);
                Span<float> all = rows.AsSpan(0, (sequence.Length - 1) * vocab);
                state.AppendAll(sequence.AsSpan(0, sequence.Length - 1), all);
                for (int t = 1; t < sequence.Length; t++)
                {
                    Span<float> row = all.Slice((t - 1) * vocab, vocab);
                    total += LogSoftmax.Of(row, sequence[t], LogSoftmax.LogSumExp(row));
                }
            }
            scores[i] = total;
        }
        return scores;
    }

    private int ContextFor(int promptTokens, int extra)
    {
        int limit = _model.ContextLength;
        if (promptTokens + 1 > limit)
        {
            throw new PromptTooLongException(promptTokens, limit);
        }
        return (int)Math.Min(limit, (long)promptTokens + extra + 1);
    }

    private static (int Token, float Logprob) Best(ReadOnlySpan<float> logits)
    {
        int best = -1;
        float max = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            if (logits[i] > max)
            {
                max = logits[i];
                best = i;
            }
        }
        return best < 0 ? (-1, 0) : (best, LogSoftmax.Of(logits, best, LogSoftmax.LogSumExp(logits)));
    }

    // The end-of-turn token is the last end-of-generation token a rendered assistant turn holds; -1 when none.
    private int FindEndOfTurn()
    {
        try
        {
            string rendered = Template.Render([new ChatMessage("user", "a"), new ChatMessage("assistant", "b")], addGenerationPrompt: false);
            int[] ids = Tokenizer.Encode(rendered, addSpecial: false, parseSpecial: true);
            for (int i = ids.Length - 1; i >= 0; i--)
            {
                if (Tokenizer.IsEndOfGeneration(ids[i])) return ids[i];
            }
        }
        catch (ChatTemplateException)
        {
        }
        return Tokenizer.EosId >= 0 && Tokenizer.IsEndOfGeneration(Tokenizer.EosId) ? Tokenizer.EosId : -1;
    }
}
