// Hyperparameters of the Llama family (Llama 2/3, TinyLlama, Mistral, Qwen2) read from GGUF keys as llama.cpp names them.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors.Kernels;

namespace Quill.Models.Llama;

/// <summary>Shapes and constants of one Llama-family checkpoint. C channels, H heads, Hkv KV heads, D head size, F FFN width, V vocab.</summary>
public sealed record LlamaConfig
{
    public required string Architecture { get; init; }
    public required int ContextLength { get; init; }
    public required int Dim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadSize { get; init; }
    public required int FeedForwardDim { get; init; }
    public required int VocabSize { get; init; }
    public required float RmsEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    public required float RopeFreqScale { get; init; }
    public required int RopeDims { get; init; }
    public required RopeLayout RopeLayout { get; init; }

    /// <summary>Sliding attention window in tokens (Mistral); 0 means full causal attention.</summary>
    public int SlidingWindow { get; init; }

    public int QueryDim => Heads * HeadSize;
    public int KvDim => KvHeads * HeadSize;

    /// <summary>The architectures this class runs, with the RoPE layout llama.cpp uses for each.</summary>
    public static bool IsSupported(string architecture) => architecture is "llama" or "qwen2" or "mistral";

    /// <summary>Reads the hyperparameters; every count is range-checked so a hostile file cannot ask for absurd buffers.</summary>
    public static LlamaConfig FromGguf(GgufFile file)
    {
        string name = System.IO.Path.GetFileName(file.Path);
        string arch = file.RequireString("general.architecture");
        if (!IsSupported(arch))
            throw new ModelFormatException($"{name}: unknown architecture '{arch}' (supported: llama, mistral, qwen2)");
        int Count(string key, long max) => Bounded(name, key, file.RequireInteger($"{arch}.{key}"), 1, max);

        int dim = Count("embedding_length", 1 << 16);
        int layers = Count("block_count", 1024);
        int heads = Count("attention.head_count", 1024);
        long? kvKey = file.GetInteger($"{arch}.attention.head_count_kv");
        int kvHeads = kvKey is null ? heads : Bounded(name, $"{arch}.attention.head_count_kv", kvKey.Value, 1, heads);
        if (heads % kvHeads != 0)
            throw new ModelFormatException($"{name}: {arch}.attention.head_count {heads} is not a multiple of head_count_kv {kvHeads}");
        long? keyLength = file.GetInteger($"{arch}.attention.key_length");
        if (keyLength is null && dim % heads != 0)
            throw new ModelFormatException($"{name}: {arch}.embedding_length {dim} is not a multiple of head_count {heads}");
        int headSize = keyLength is null ? dim / heads : Bounded(name, $"{arch}.attention.key_length", keyLength.Value, 2, 4096);
        long? valueLength = file.GetInteger($"{arch}.attention.value_length");
        if (valueLength is not null && valueLength != headSize)
            throw new ModelFormatException($"{name}: {arch}.attention.value_length {valueLength} differs from key_length {headSize}, which is not supported");
        int ffn = Count("feed_forward_length", 1 << 20);
        int context = Count("context_length", 1 << 24);

        var embedding = file.GetTensor(TensorNames.TokenEmbedding);
        long vocabFromTensor = embedding.Shape.Length == 2 ? embedding.Shape[1] : 0;
        long? vocabKey = file.GetInteger($"{arch}.vocab_size");
        int vocab = Bounded(name, TensorNames.TokenEmbedding, vocabKey ?? vocabFromTensor, 1, 1 << 24);

        long? ropeDims = file.GetInteger($"{arch}.rope.dimension_count");
        int rotary = ropeDims is null ? headSize : Bounded(name, $"{arch}.rope.dimension_count", ropeDims.Value, 2, headSize);
        if (rotary % 2 != 0) throw new ModelFormatException($"{name}: {arch}.rope.dimension_count {rotary} is odd");

        float freqScale = 1.0f;
        string? scalingType = file.GetString($"{arch}.rope.scaling.type");
        float? factor = file.GetFloat32($"{arch}.rope.scaling.factor");
        if (scalingType is "linear" && factor is > 0) freqScale = 1.0f / factor.Value;
        else if (scalingType is not null and not "none" and not "linear")
            throw new ModelFormatException($"{name}: {arch}.rope.scaling.type '{scalingType}' is not supported (none, linear)");
        float? legacyScale = file.GetFloat32($"{arch}.rope.scale_linear");
        if (scalingType is null && legacyScale is > 0) freqScale = 1.0f / legacyScale.Value;

        long? window = file.GetInteger($"{arch}.attention.sliding_window");

        return new LlamaConfig
        {
            Architecture = arch,
            ContextLength = context,
            Dim = dim,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            HeadSize = headSize,
            FeedForwardDim = ffn,
            VocabSize = vocab,
            RmsEpsilon = file.GetFloat32($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f,
            RopeFreqBase = file.GetFloat32($"{arch}.rope.freq_base") ?? 10000f,
            RopeFreqScale = freqScale,
            RopeDims = rotary,
            RopeLayout = arch == "qwen2" ? RopeLayout.NeoX : RopeLayout.Normal,
            SlidingWindow = window is null ? 0 : Bounded(name, $"{arch}.attention.sliding_window", window.Value, 0, int.MaxValue),
        };
    }

    /// <summary>The keys <see cref="FromGguf"/> reads, written under this config's architecture (its inverse).</summary>
    public void WriteTo(GgufWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        string a = Architecture;
        writer.Set("general.architecture", a);
        writer.Set($"{a}.context_length", (uint)ContextLength);
        writer.Set($"{a}.embedding_length", (uint)Dim);
        writer.Set($"{a}.block_count", (uint)Layers);
        writer.Set($"{a}.feed_forward_length", (uint)FeedForwardDim);
        writer.Set($"{a}.attention.head_count", (uint)Heads);
        writer.Set($"{a}.attention.head_count_kv", (uint)KvHeads);
        if (HeadSize * Heads != Dim)
        {
            writer.Set($"{a}.attention.key_length", (uint)HeadSize);
            writer.Set($"{a}.attention.value_length", (uint)HeadSize);
        }
        writer.Set($"{a}.rope.dimension_count", (uint)RopeDims);
        writer.Set($"{a}.rope.freq_base", RopeFreqBase);
        if (RopeFreqScale != 1f)
        {
            writer.Set($"{a}.rope.scaling.type", "linear");
            writer.Set($"{a}.rope.scaling.factor", 1f / RopeFreqScale);
        }
        writer.Set($"{a}.attention.layer_norm_rms_epsilon", RmsEpsilon);
        writer.Set($"{a}.vocab_size", (uint)VocabSize);
        if (SlidingWindow > 0) writer.Set($"{a}.attention.sliding_window", (uint)SlidingWindow);
    }

    private static int Bounded(string file, string key, long value, long min, long max)
    {
        if (value < min || value > max) ThrowOutOfRange(file, key, value, min, max);
        return (int)value;
    }

    private static void ThrowOutOfRange(string file, string key, long value, long min, long max) =>
        throw new ModelFormatException($"{file}: '{key}' is {value}, expected {min}..{max}");
}
