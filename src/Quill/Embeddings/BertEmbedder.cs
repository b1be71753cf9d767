// ITextEmbedder over a BERT encoder: tokenize, truncate, batch by length, encode, pool, normalise.
using System.Buffers;
using Quill.Formats.Gguf;
using Quill.Formats.Onnx;
using Quill.Models.Bert;
using Quill.Tokenizers;

namespace Quill.Embeddings;

/// <summary>
/// Embeds texts with a <see cref="BertModel"/>. Texts are sorted by token count and run in batches of up to
/// <see cref="BatchSize"/> texts, packed without padding, so a batch costs what its tokens cost. A text longer than
/// <see cref="MaxTokens"/> keeps its first MaxTokens − 1 tokens and its final [SEP], and is reported as truncated.
/// Thread-safe (the model serialises forward passes).
/// </summary>
public sealed class BertEmbedder : ITextEmbedder
{
    private readonly bool _ownsModel;

    public BertEmbedder(BertModel model, ITokenizer tokenizer, string modelName, Pooling? pooling = null, bool normalize = true, bool ownsModel = true)
    {
        Model = model;
        Tokenizer = tokenizer;
        ModelName = modelName;
        Pooling = pooling ?? model.Config.Pooling;
        Normalize = normalize;
        _ownsModel = ownsModel;
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"{modelName}: the tokenizer has {tokenizer.VocabSize} tokens, the model {model.Config.VocabSize}", nameof(tokenizer));
    }

    public BertModel Model { get; }
    public ITokenizer Tokenizer { get; }
    public string ModelName { get; }
    public Pooling Pooling { get; }

    /// <summary>Whether vectors are scaled to unit length (sentence-transformers models end with Normalize).</summary>
    public bool Normalize { get; }

    /// <summary>Most texts per forward pass.</summary>
    public int BatchSize { get; init; } = 32;

    public int Dimensions => Model.Config.Dim;
    public int MaxTokens => Model.Config.MaxPositions;

    /// <summary>
    /// An embedder for a model file: a "bert" GGUF (vocabulary inside), an ONNX export (with <paramref name="vocabPath"/>,
    /// or the built-in bert-base-uncased vocab), or a Hugging Face folder with config.json, model.safetensors, vocab.txt.
    /// </summary>
    public static BertEmbedder Load(string path, string? vocabPath = null, Pooling? pooling = null, bool normalize = true, int threads = 0)
    {
        BertCheckpoint checkpoint;
        if (Directory.Exists(path)) checkpoint = BertSafetensorsReader.Read(path);
        else if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            using var onnx = OnnxFile.Open(path);
            checkpoint = BertOnnxReader.Read(onnx).WithVocabulary(BertVocabulary.FromVocabFile(vocabPath));
        }
        else
        {
            using var gguf = GgufFile.Open(path);
            checkpoint = BertGguf.Read(gguf);
        }
        if (vocabPath is not null && checkpoint.Vocabulary is null) checkpoint = checkpoint.WithVocabulary(BertVocabulary.FromVocabFile(vocabPath));
        var vocabulary = checkpoint.Vocabulary
            ?? throw new InvalidDataException($"{path}: expected a WordPiece vocabulary (vocab.txt) with the model, found none");
        return new BertEmbedder(BertModel.Load(checkpoint, threads), vocabulary.CreateTokenizer(), checkpoint.Name, pooling, normalize);
    }

    /// <summary>The token ids the model sees for <paramref name="text"/>, and whether they were cut to <see cref="MaxTokens"/>.</summary>
    public int[] TokenIds(string text, out bool truncated) => TokenIds(text, MaxTokens, out truncated);

    /// <summary>
    /// The token ids of <paramref name="text"/> cut to at most <paramref name="maxTokens"/> (1 … <see cref="MaxTokens"/>), the
    /// closing [SEP] kept last, and whether they were cut.
    /// </summary>
    public int[] TokenIds(string text, int maxTokens, out bool truncated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTokens, MaxTokens);
        int[] ids = Tokenizer.Encode(text);
        truncated = ids.Length > maxTokens;
        if (!truncated) return ids;
        int[] cut = ids[..maxTokens];
        cut[^1] = ids[^1];
        return cut;
    }

    public EmbeddingResult Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        int n = texts.Count, dim = Dimensions;
        var ids = new int[n][];
        var counts = new int[n];
        var truncated = new bool[n];
        var vectors = new float[n][];
        for (int i = 0; i < n; i++)
        {
            ids[i] = TokenIds(texts[i], out truncated[i]);
            counts[i] = ids[i].Length;
        }
        int[] order = Enumerable.Range(0, n).OrderBy(i => counts[i]).ToArray();
        var batch = new List<int[]>(BatchSize);
        for (int b = 0; b < n; b += BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int size = Math.Min(BatchSize, n - b);
            batch.Clear();
            int tokens = 0;
            for (int j = 0; j < size; j++)
            {
                batch.Add(ids[order[b + j]]);
                tokens += counts[order[b + j]];
            }
            float[] hidden = ArrayPool<float>.Shared.Rent(tokens * dim);
            try
            {
                Model.Encode(batch, hidden);
                int row = 0;
                for (int j = 0; j < size; j++)
                {
                    int text = order[b + j];
                    var vector = vectors[text] = new float[dim];
                    TextPooling.Pool(hidden.AsSpan(row * dim, counts[text] * dim), counts[text], Pooling, vector);
                    if (Normalize) TextPooling.Normalize(vector);
                    row += counts[text];
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(hidden);
            }
        }
        return new EmbeddingResult(vectors, counts, truncated);
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
