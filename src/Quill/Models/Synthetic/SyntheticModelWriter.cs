// Writes a decoder GGUF with deterministic random weights and a usable tokenizer, for tests and benchmarks.
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Models.Synthetic;

/// <summary>
/// The model written has llama.cpp's key and tensor names, so llama.cpp loads the same file. Weights are uniform in
/// ±√(3/fan_in) (unit-variance outputs), norms near 1; the same options and seed always give the same bytes.
/// </summary>
public static class SyntheticModelWriter
{
    public static void Write(string path, SyntheticModelOptions o, IProgress<double>? progress = null)
    {
        if (o.Architecture == "gpt2")
        {
            SyntheticGpt2Writer.Write(path, o, progress);
            return;
        }
        GgufWriter writer = Header(o);
        var tensors = new GeneratedTensors(new SplitMix64(o.Seed), progress);
        int kvDim = o.KvHeads * (o.Dim / o.Heads);
        string a = o.Architecture;

        void Matrix(string name, int columns, int rows, float limit)
        {
            long count = (long)columns * rows;
            writer.AddTensor(name, o.Type, [columns, rows],
                tensors.Add(GgmlTypeInfo.RowBytes(o.Type, count), r => Encode(o.Type, RandomUniform(r, count, limit))));
        }

        void Vector(string name, int length, float center, float spread) =>
            writer.AddTensor(name, GgmlType.F32, [length],
                tensors.Add(length * sizeof(float), r => Encode(GgmlType.F32, RandomAround(r, length, center, spread))));

        Matrix(TensorNames.TokenEmbedding, o.Dim, o.VocabSize, 1f);
        for (int l = 0; l < o.Layers; l++)
        {
            Vector(TensorNames.AttentionNorm(l), o.Dim, 1f, 0.1f);
            Matrix(TensorNames.AttentionQuery(l), o.Dim, o.Dim, Limit(o.Dim));
            Matrix(TensorNames.AttentionKey(l), o.Dim, kvDim, Limit(o.Dim));
            Matrix(TensorNames.AttentionValue(l), o.Dim, kvDim, Limit(o.Dim));
            if (a == "qwen2")
            {
                Vector(TensorNames.AttentionQueryBias(l), o.Dim, 0f, 0.1f);
                Vector(TensorNames.AttentionKeyBias(l), kvDim, 0f, 0.1f);
                Vector(TensorNames.AttentionValueBias(l), kvDim, 0f, 0.1f);
            }
            Matrix(TensorNames.AttentionOutput(l), o.Dim, o.Dim, Limit(o.Dim));
            Vector(TensorNames.FeedForwardNorm(l), o.Dim, 1f, 0.1f);
            Matrix(TensorNames.FeedForwardGate(l), o.Dim, o.FeedForwardDim, Limit(o.Dim));
            Matrix(TensorNames.FeedForwardUp(l), o.Dim, o.FeedForwardDim, Limit(o.Dim));
            Matrix(TensorNames.FeedForwardDown(l), o.FeedForwardDim, o.Dim, Limit(o.FeedForwardDim));
        }
        Vector(TensorNames.OutputNorm, o.Dim, 1f, 0.1f);
        if (!o.TiedEmbeddings) Matrix(TensorNames.Output, o.Dim, o.VocabSize, Limit(o.Dim));
        writer.WriteTo(path);
        progress?.Report(1.0);
    }

    /// <summary>Uniform weights in ±√(3/fan_in) give unit-variance outputs.</summary>
    private static float Limit(int fanIn) => MathF.Sqrt(3f / fanIn);

    /// <summary>
    /// A writer holding the metadata of the model <paramref name="o"/> describes (llama.cpp's keys, the tokenizer of
    /// <see cref="SyntheticVocabulary"/>) and no tensors yet; <see cref="Write"/> adds the tensors.
    /// </summary>
    private static GgufWriter Header(SyntheticModelOptions o)
    {
        Validate(o);
        int headSize = o.Dim / o.Heads;
        string a = o.Architecture;
        var writer = new GgufWriter();
        writer.Set("general.architecture", a);
        writer.Set("general.name", $"quill-synthetic-{a}-{o.Dim}x{o.Layers}");
        writer.Set("general.file_type", FileType(o.Type));
        writer.Set($"{a}.context_length", (uint)o.ContextLength);
        writer.Set($"{a}.embedding_length", (uint)o.Dim);
        writer.Set($"{a}.block_count", (uint)o.Layers);
        writer.Set($"{a}.feed_forward_length", (uint)o.FeedForwardDim);
        writer.Set($"{a}.attention.head_count", (uint)o.Heads);
        writer.Set($"{a}.attention.head_count_kv", (uint)o.KvHeads);
        writer.Set($"{a}.rope.dimension_count", (uint)headSize);
        writer.Set($"{a}.rope.freq_base", o.RopeFreqBase);
        if (o.RopeLinearScaling != 1f)
        {
            writer.Set($"{a}.rope.scaling.type", "linear");
            writer.Set($"{a}.rope.scaling.factor", o.RopeLinearScaling);
        }
        writer.Set($"{a}.attention.layer_norm_rms_epsilon", o.RmsEpsilon);
        var (tokens, scores, types) = SyntheticVocabulary.Build(o.VocabSize);
        writer.Set("tokenizer.ggml.model", "llama");
        writer.Set("tokenizer.ggml.tokens", tokens);
        writer.Set("tokenizer.ggml.scores", scores);
        writer.Set("tokenizer.ggml.token_type", types);
        writer.Set("tokenizer.ggml.bos_token_id", (uint)SyntheticVocabulary.BosId);
        writer.Set("tokenizer.ggml.eos_token_id", (uint)SyntheticVocabulary.EosId);
        writer.Set("tokenizer.ggml.unknown_token_id", (uint)SyntheticVocabulary.UnknownId);
        writer.Set("tokenizer.ggml.add_bos_token", true);
        writer.Set("tokenizer.ggml.add_eos_token", false);
        if (o.ChatTemplate is not null) writer.Set("tokenizer.chat_template", o.ChatTemplate);
        return writer;
    }

    private static void Validate(SyntheticModelOptions o)
    {
        if (o.Architecture is not ("llama" or "qwen2")) throw new ArgumentException($"--arch '{o.Architecture}' is not one of: llama, qwen2, gpt2");
        if (o.Dim <= 0 || o.Layers <= 0 || o.Heads <= 0 || o.KvHeads <= 0 || o.FeedForwardDim <= 0 || o.ContextLength <= 0)
            throw new ArgumentException("dimensions, layers, heads, ffn and context must be positive");
        if (o.Dim % o.Heads != 0) throw new ArgumentException($"--dim {o.Dim} is not a multiple of --heads {o.Heads}");
        if (o.Heads % o.KvHeads != 0) throw new ArgumentException($"--heads {o.Heads} is not a multiple of --kv-heads {o.KvHeads}");
        if ((o.Dim / o.Heads) % 2 != 0) throw new ArgumentException($"the head size {o.Dim / o.Heads} must be even for RoPE");
        int block = GgmlTypeInfo.BlockSize(o.Type);
        if (o.Dim % block != 0 || o.FeedForwardDim % block != 0)
            throw new ArgumentException($"--dim {o.Dim} and --ffn {o.FeedForwardDim} must be multiples of {block} for {o.Type}");
        if (!QuantFormats.TryGet(o.Type, out var f) || f.Quantize is null) throw new ArgumentException($"--type {o.Type} cannot be written");
        if (o.VocabSize < SyntheticVocabulary.MinimumSize) throw new ArgumentException($"--vocab must be at least {SyntheticVocabulary.MinimumSize}");
    }

    internal static uint FileType(GgmlType type) => GgufFileType.Of(type) ?? 0;

    internal static byte[] Encode(GgmlType type, float[] values)
    {
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, values.Length)];
        QuantFormats.Get(type).Quantize!(values, bytes);
        return bytes;
    }

    internal static float[] RandomUniform(SplitMix64 rng, long count, float limit)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * limit;
        return values;
    }

    internal static float[] RandomAround(SplitMix64 rng, int count, float center, float spread)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = center + (float)(rng.NextDouble() * 2 - 1) * spread;
        return values;
    }
}
