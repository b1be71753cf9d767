// Writes a GPT-2 GGUF with deterministic random weights and a byte-level BPE tokenizer, as llama.cpp's converter lays it out.
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Models.Synthetic;

/// <summary>
/// The keys (gpt2.*) and tensor names (token_embd, position_embd, blk.N.attn_qkv, ...) are llama.cpp's, so llama.cpp
/// loads the same file. Matrices are uniform in ±√(3/fan_in), LayerNorm scales near 1 and biases near 0; the same
/// options and seed always give the same bytes. Norms and biases stay F32; the embeddings and linear weights take
/// <see cref="SyntheticModelOptions.Type"/>.
/// </summary>
internal static class SyntheticGpt2Writer
{
    private const string Arch = "gpt2";

    public static void Write(string path, SyntheticModelOptions o, IProgress<double>? progress)
    {
        Validate(o);
        var rng = new SplitMix64(o.Seed);
        int kvDim = o.KvHeads * (o.Dim / o.Heads);
        var writer = new GgufWriter();
        writer.Set("general.architecture", Arch);
        writer.Set("general.name", $"quill-synthetic-{Arch}-{o.Dim}x{o.Layers}");
        writer.Set("general.file_type", SyntheticModelWriter.FileType(o.Type));
        writer.Set($"{Arch}.context_length", (uint)o.ContextLength);
        writer.Set($"{Arch}.embedding_length", (uint)o.Dim);
        writer.Set($"{Arch}.block_count", (uint)o.Layers);
        writer.Set($"{Arch}.feed_forward_length", (uint)o.FeedForwardDim);
        writer.Set($"{Arch}.attention.head_count", (uint)o.Heads);
        if (o.KvHeads != o.Heads) writer.Set($"{Arch}.attention.head_count_kv", (uint)o.KvHeads);
        writer.Set($"{Arch}.attention.layer_norm_epsilon", o.LayerNormEpsilon);
        var (tokens, types, merges) = SyntheticByteLevelVocabulary.Build(o.VocabSize);
        uint endOfText = (uint)(tokens.Length - 1);
        writer.Set("tokenizer.ggml.model", "gpt2");
        writer.Set("tokenizer.ggml.pre", "gpt-2");
        writer.Set("tokenizer.ggml.tokens", tokens);
        writer.Set("tokenizer.ggml.token_type", types);
        writer.Set("tokenizer.ggml.merges", merges);
        writer.Set("tokenizer.ggml.bos_token_id", endOfText);
        writer.Set("tokenizer.ggml.eos_token_id", endOfText);
        writer.Set("tokenizer.ggml.add_bos_token", false);
        writer.Set("tokenizer.ggml.add_eos_token", false);
        if (o.ChatTemplate is not null) writer.Set("tokenizer.chat_template", o.ChatTemplate);

        int steps = 3 + o.Layers, step = 0;
        void Matrix(string name, int columns, int rows, float limit) =>
            writer.AddTensor(name, o.Type, [columns, rows],
                SyntheticModelWriter.Encode(o.Type, SyntheticModelWriter.RandomUniform(rng, (long)columns * rows, limit)));
        void Linear(string name, int columns, int rows) => Matrix(name, columns, rows, MathF.Sqrt(3f / columns));
        void Vector(string name, int length, float center, float spread) =>
            writer.AddTensor(name, GgmlType.F32, [length],
                SyntheticModelWriter.Encode(GgmlType.F32, SyntheticModelWriter.RandomAround(rng, length, center, spread)));

        Matrix(TensorNames.TokenEmbedding, o.Dim, o.VocabSize, 1f);
        Matrix(TensorNames.PositionEmbedding, o.Dim, o.ContextLength, 0.5f);
        progress?.Report((double)++step / steps);
        for (int l = 0; l < o.Layers; l++)
        {
            Vector(TensorNames.AttentionNorm(l), o.Dim, 1f, 0.1f);
            Vector(TensorNames.AttentionNormBias(l), o.Dim, 0f, 0.1f);
            Linear(TensorNames.AttentionQkv(l), o.Dim, o.Dim + 2 * kvDim);
            Vector(TensorNames.AttentionQkvBias(l), o.Dim + 2 * kvDim, 0f, 0.1f);
            Linear(TensorNames.AttentionOutput(l), o.Dim, o.Dim);
            Vector(TensorNames.AttentionOutputBias(l), o.Dim, 0f, 0.1f);
            Vector(TensorNames.FeedForwardNorm(l), o.Dim, 1f, 0.1f);
            Vector(TensorNames.FeedForwardNormBias(l), o.Dim, 0f, 0.1f);
            Linear(TensorNames.FeedForwardUp(l), o.Dim, o.FeedForwardDim);
            Vector(TensorNames.FeedForwardUpBias(l), o.FeedForwardDim, 0f, 0.1f);
            Linear(TensorNames.FeedForwardDown(l), o.FeedForwardDim, o.Dim);
            Vector(TensorNames.FeedForwardDownBias(l), o.Dim, 0f, 0.1f);
            progress?.Report((double)++step / steps);
        }
        Vector(TensorNames.OutputNorm, o.Dim, 1f, 0.1f);
        Vector(TensorNames.OutputNormBias, o.Dim, 0f, 0.1f);
        if (!o.TiedEmbeddings) Linear(TensorNames.Output, o.Dim, o.VocabSize);
        progress?.Report((double)++step / steps);
        writer.WriteTo(path);
        progress?.Report(1.0);
    }

    private static void Validate(SyntheticModelOptions o)
    {
        if (o.Dim <= 0 || o.Layers <= 0 || o.Heads <= 0 || o.KvHeads <= 0 || o.FeedForwardDim <= 0 || o.ContextLength <= 0)
            throw new ArgumentException("dimensions, layers, heads, ffn and context must be positive");
        if (o.Dim % o.Heads != 0) throw new ArgumentException($"--dim {o.Dim} is not a multiple of --heads {o.Heads}");
        if (o.Heads % o.KvHeads != 0) throw new ArgumentException($"--heads {o.Heads} is not a multiple of --kv-heads {o.KvHeads}");
        int block = GgmlTypeInfo.BlockSize(o.Type);
        if (o.Dim % block != 0 || o.FeedForwardDim % block != 0)
            throw new ArgumentException($"--dim {o.Dim} and --ffn {o.FeedForwardDim} must be multiples of {block} for {o.Type}");
        if (!QuantFormats.TryGet(o.Type, out var f) || f.Quantize is null) throw new ArgumentException($"--type {o.Type} cannot be written");
        if (o.VocabSize < SyntheticByteLevelVocabulary.MinimumSize)
            throw new ArgumentException($"--vocab must be at least {SyntheticByteLevelVocabulary.MinimumSize} for gpt2");
    }
}
