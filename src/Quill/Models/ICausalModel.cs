// The seam between a decoder architecture (Llama, GPT-2, ...) and everything that drives it (generation, server, bench).
namespace Quill.Models;

/// <summary>A decoder-only language model: token ids in, next-token logits out.</summary>
public interface ICausalModel
{
    /// <summary>Number of logits per position (V).</summary>
    int VocabSize { get; }

    /// <summary>The context length the model was trained for (n_ctx_train).</summary>
    int ContextLength { get; }

    /// <summary>Creates the per-sequence state (KV cache and scratch buffers), sized for <paramref name="contextLength"/> tokens.</summary>
    IInferenceState CreateState(int contextLength);

    /// <summary>
    /// Creates a KV cache of <paramref name="slots"/> sequences of up to <paramref name="contextLength"/> tokens each,
    /// decoded together one step at a time (the server's continuous batching).
    /// </summary>
    IBatchedInferenceState CreateBatchedState(int slots, int contextLength);
}

/// <summary>One sequence being decoded: its KV cache and scratch memory, allocated once.</summary>
public interface IInferenceState : IDisposable
{
    /// <summary>Tokens already held in the KV cache.</summary>
    int Position { get; }

    /// <summary>Capacity of the KV cache, in tokens.</summary>
    int ContextLength { get; }

    /// <summary>Bytes the KV cache holds (keys and values of every layer), as its element type makes them; 0 when unknown.</summary>
    long KvCacheBytes => 0;

    /// <summary>
    /// Appends <paramref name="tokens"/> (T) at <see cref="Position"/> and writes the logits of the last one into
    /// <paramref name="lastLogits"/> (V). Prompt processing passes many tokens at once; decoding passes one.
    /// </summary>
    void Append(ReadOnlySpan<int> tokens, Span<float> lastLogits);

    /// <summary>Appends tokens and writes logits for every one of them into <paramref name="allLogits"/> (T, V).</summary>
    void AppendAll(ReadOnlySpan<int> tokens, Span<float> allLogits);

    /// <summary>Forgets cached positions at and after <paramref name="length"/>; 0 resets the sequence.</summary>
    void Truncate(int length);
}
