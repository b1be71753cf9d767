// The part of a decoder's inference state every architecture shares: cutting tokens into batches, logits out, truncation.
namespace Quill.Models;

/// <summary>
/// Runs appended tokens through <see cref="Forward"/> in chunks of at most <see cref="BatchSize"/> and asks
/// <see cref="Logits"/> for the rows the caller wants. Derived states own the scratch, the KV cache and the forward pass.
/// </summary>
public abstract unsafe class ChunkedInferenceState : IInferenceState
{
    private readonly int _vocabSize;

    protected ChunkedInferenceState(int contextLength, int maxBatch, int vocabSize)
    {
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), "context length must be positive");
        ContextLength = contextLength;
        BatchSize = Math.Min(maxBatch, contextLength);
        _vocabSize = vocabSize;
    }

    public int Position { get; protected set; }

    public int ContextLength { get; }

    /// <summary>Bytes the KV cache holds (keys and values of every layer), as its element type makes them; 0 when unknown.</summary>
    public virtual long KvCacheBytes => 0;

    /// <summary>Most tokens one <see cref="Forward"/> call gets.</summary>
    protected int BatchSize { get; }

    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Position = Math.Min(Position, length);
    }

    public void Append(ReadOnlySpan<int> tokens, Span<float> lastLogits)
    {
        if (lastLogits.Length < _vocabSize) throw new ArgumentException($"logits buffer holds {lastLogits.Length}, the vocabulary has {_vocabSize}");
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            if (i + n == tokens.Length)
                fixed (float* logits = lastLogits) Logits(n - 1, 1, logits);
        }
    }

    public void AppendAll(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        if (allLogits.Length < (long)tokens.Length * _vocabSize) throw new ArgumentException("logits buffer is smaller than T × V");
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            fixed (float* logits = allLogits) Logits(0, n, logits + (long)i * _vocabSize);
        }
    }

    /// <summary>Runs T ≤ <see cref="BatchSize"/> tokens at <see cref="Position"/> through every layer and advances Position.</summary>
    protected abstract void Forward(ReadOnlySpan<int> tokens);

    /// <summary>Writes the logits of rows [first, first + count) of the last <see cref="Forward"/> to <paramref name="logits"/>.</summary>
    protected abstract void Logits(int first, int count, float* logits);

    public abstract void Dispose();
}
