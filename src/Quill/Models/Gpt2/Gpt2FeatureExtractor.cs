// Text embeddings from GPT-2's last hidden states (after ln_f), mean- or last-token-pooled; not a sentence-embedding model.
using Quill.Embeddings;
using Quill.Tokenizers;

namespace Quill.Models.Gpt2;

/// <summary>
/// transformers' feature-extraction pipeline for GPT-2: each text is tokenized (no special tokens are added, as GPT-2's
/// tokenizer adds none), cut to <see cref="MaxTokens"/>, run through the decoder, and its last hidden states (T, C) are
/// pooled into one C-vector, not normalised. An empty text gives the zero vector. Works on any GPT-2 the model
/// loaders read (GGUF or a transformers folder), so word analogies such as king − man + woman run on a user's own
/// checkpoint. Calls are serialised on one lock: the model's compute pool runs one forward pass at a time.
/// </summary>
public sealed class Gpt2FeatureExtractor : ITextEmbedder
{
    private readonly Gpt2Model _model;
    private readonly bool _ownsModel;
    private readonly Lock _gate = new();

    public Gpt2FeatureExtractor(Gpt2Model model, Gpt2Pooling pooling = Gpt2Pooling.Mean, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _ownsModel = ownsModel;
        Pooling = pooling;
    }

    /// <summary>Opens a GPT-2 GGUF file or transformers folder and owns the model.</summary>
    public static Gpt2FeatureExtractor Open(string path, Gpt2Pooling pooling = Gpt2Pooling.Mean, int threads = 0) =>
        new(Gpt2Model.Open(path, threads), pooling, ownsModel: true);

    public Gpt2Pooling Pooling { get; }

    /// <summary>The model's name and the pooling ("gpt2/mean"): vectors pooled differently are not comparable.</summary>
    public string ModelName => $"{_model.Name}/{(Pooling == Gpt2Pooling.Mean ? "mean" : "last")}";
    public int Dimensions => _model.Config.Dim;
    public int MaxTokens => _model.Config.ContextLength;
    public ITokenizer Tokenizer => _model.Tokenizer;

    public EmbeddingResult Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int count = texts.Count, dim = Dimensions;
        var ids = new int[count][];
        var truncated = new bool[count];
        int longest = 1;
        for (int i = 0; i < count; i++)
        {
            int[] all = Tokenizer.Encode(texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts)));
            truncated[i] = all.Length > MaxTokens;
            ids[i] = truncated[i] ? all[..MaxTokens] : all;
            longest = Math.Max(longest, ids[i].Length);
        }

        var vectors = new float[count][];
        var hidden = new float[longest * dim];
        lock (_gate)
        {
            using var state = _model.CreateState(longest);
            for (int i = 0; i < count; i++)
            {
                ct.ThrowIfCancellationRequested();
                vectors[i] = new float[dim];
                int t = ids[i].Length;
                if (t == 0) continue;
                state.Truncate(0);
                state.AppendHidden(ids[i], hidden);
                Pool(hidden.AsSpan(0, t * dim), t, vectors[i]);
            }
        }
        return new EmbeddingResult(vectors, Array.ConvertAll(ids, x => x.Length), truncated);
    }

    private void Pool(ReadOnlySpan<float> hidden, int tokens, Span<float> vector)
    {
        int dim = vector.Length;
        if (Pooling == Gpt2Pooling.LastToken)
        {
            hidden.Slice((tokens - 1) * dim, dim).CopyTo(vector);
            return;
        }
        for (int t = 0; t < tokens; t++) System.Numerics.Tensors.TensorPrimitives.Add(vector, hidden.Slice(t * dim, dim), vector);
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, tokens, vector);
    }

    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}
