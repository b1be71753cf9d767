// Test double: a causal "model" whose logits come from a fixed table per position; no weights, no attention.
using Quill.Models;

namespace Quill.Tests.Generation;

/// <summary>
/// After appending the token at position p, the next-token logits are <c>rows[min(p, rows.Length - 1)]</c>.
/// Records every Append so tests can check the prompt went in as one batch.
/// </summary>
internal sealed class ScriptedModel(int vocabSize, int contextLength, float[][] rows) : ICausalModel
{
    public int VocabSize => vocabSize;
    public int ContextLength => contextLength;
    public List<int> AppendSizes { get; } = [];
    public List<int> Appended { get; } = [];
    public int StatesCreated { get; private set; }
    public int StatesDisposed { get; private set; }

    /// <summary>Called before each Append (e.g. to cancel mid-generation).</summary>
    public Action<int>? OnAppend { get; set; }

    public IInferenceState CreateState(int contextLength)
    {
        StatesCreated++;
        return new State(this, contextLength);
    }

    public IBatchedInferenceState CreateBatchedState(int slots, int contextLength) => new SequentialBatchedState(this, slots, contextLength);

    /// <summary>
    /// A table whose argmax, after a prompt of <paramref name="promptLength"/> tokens, spells
    /// <paramref name="continuation"/> and then <paramref name="then"/> forever.
    /// </summary>
    public static ScriptedModel Spelling(int vocabSize, int contextLength, int promptLength, IReadOnlyList<int> continuation, int then)
    {
        var rows = new float[promptLength + continuation.Count][];
        for (int p = 0; p < rows.Length; p++)
        {
            int next = p < promptLength - 1 ? 0 : p - (promptLength - 1) < continuation.Count ? continuation[p - (promptLength - 1)] : then;
            rows[p] = OneHot(vocabSize, next);
        }
        return new ScriptedModel(vocabSize, contextLength, rows);
    }

    /// <summary>Logits 0 everywhere except 10 at <paramref name="token"/>.</summary>
    public static float[] OneHot(int vocabSize, int token)
    {
        var row = new float[vocabSize];
        row[token] = 10;
        return row;
    }

    private sealed class State(ScriptedModel model, int contextLength) : IInferenceState
    {
        public int Position { get; private set; }
        public int ContextLength => contextLength;

        public void Append(ReadOnlySpan<int> tokens, Span<float> lastLogits)
        {
            model.OnAppend?.Invoke(tokens.Length);
            if (Position + tokens.Length > contextLength) throw new InvalidOperationException("scripted model: KV cache overflow");
            model.AppendSizes.Add(tokens.Length);
            model.Appended.AddRange(tokens.ToArray());
            Position += tokens.Length;
            model.RowAt(Position - 1).CopyTo(lastLogits);
        }

        public void AppendAll(ReadOnlySpan<int> tokens, Span<float> allLogits) => throw new NotSupportedException();

        public void Truncate(int length) => Position = Math.Min(Position, length);

        public void Dispose() => model.StatesDisposed++;
    }

    private float[] RowAt(int position) => rows[Math.Min(position, rows.Length - 1)];
}
