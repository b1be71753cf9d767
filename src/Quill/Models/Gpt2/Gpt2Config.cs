// Hyperparameters of GPT-2, read from GGUF keys as llama.cpp names them or from a Hugging Face config.json.
using Quill.Conversion;
using Quill.Formats;
using Quill.Formats.Gguf;

namespace Quill.Models.Gpt2;

/// <summary>Shapes and constants of one GPT-2 checkpoint. C channels, H heads, Hkv KV heads, D head size, F FFN width, V vocab.</summary>
public sealed record Gpt2Config
{
    public const string Architecture = "gpt2";

    /// <summary>Positions the learned position table holds (n_ctx_train); no state can go past it.</summary>
    public required int ContextLength { get; init; }
    public required int Dim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int FeedForwardDim { get; init; }
    public required int VocabSize { get; init; }
    public required float LayerNormEpsilon { get; init; }

    public int HeadSize => Dim / Heads;
    public int KvDim => KvHeads * HeadSize;

    /// <summary>Rows of the fused attn_qkv weight: queries (C), then keys and values (Hkv·D each).</summary>
    public int QkvDim => Dim + 2 * KvDim;

    /// <summary>Reads gpt2.* keys; every count is range-checked so a hostile file cannot ask for absurd buffers.</summary>
    public static Gpt2Config FromGguf(GgufFile file)
    {
        string name = Path.GetFileName(file.Path);
        string arch = file.RequireString("general.architecture");
        if (arch != Architecture) throw new ModelFormatException($"{name}: expected general.architecture '{Architecture}', found '{arch}'");
        int Count(string key, long max) => Bounded(name, $"{arch}.{key}", file.RequireInteger($"{arch}.{key}"), 1, max);

        int dim = Count("embedding_length", 1 << 16);
        int heads = Count("attention.head_count", 1024);
        long? kvKey = file.GetInteger($"{arch}.attention.head_count_kv");
        int kvHeads = kvKey is null ? heads : Bounded(name, $"{arch}.attention.head_count_kv", kvKey.Value, 1, heads);
        var embedding = file.GetTensor(TensorNames.TokenEmbedding);
        long vocab = embedding.Shape.Length == 2 ? embedding.Shape[1] : 0;
        var config = new Gpt2Config
        {
            ContextLength = Count("context_length", 1 << 20),
            Dim = dim,
            Layers = Count("block_count", 1024),
            Heads = heads,
            KvHeads = kvHeads,
            FeedForwardDim = Count("feed_forward_length", 1 << 20),
            VocabSize = Bounded(name, TensorNames.TokenEmbedding, file.GetInteger($"{arch}.vocab_size") ?? vocab, 1, 1 << 24),
            LayerNormEpsilon = file.GetFloat32($"{arch}.attention.layer_norm_epsilon")
                ?? throw new ModelFormatException($"{name}: expected key '{arch}.attention.layer_norm_epsilon', found none"),
        };
        return config.Checked(name);
    }

    /// <summary>Reads config.json of a transformers GPT2LMHeadModel / GPT2Model checkpoint.</summary>
    public static Gpt2Config FromHuggingFace(HuggingFaceCheckpoint checkpoint, int vocabFromTensor)
    {
        string name = Path.Combine(checkpoint.Folder, "config.json");
        string? activation = checkpoint.ConfigString("activation_function");
        if (activation is not (null or "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast"))
            throw new ModelFormatException($"{name}: expected activation_function \"gelu_new\" (GELU, tanh approximation), found \"{activation}\"");
        int dim = Bounded(name, "n_embd", checkpoint.ConfigInt("n_embd"), 1, 1 << 16);
        int heads = Bounded(name, "n_head", checkpoint.ConfigInt("n_head"), 1, 1024);
        var config = new Gpt2Config
        {
            ContextLength = Bounded(name, "n_positions", checkpoint.ConfigInt("n_positions", checkpoint.ConfigInt("n_ctx", 1024)), 1, 1 << 20),
            Dim = dim,
            Layers = Bounded(name, "n_layer", checkpoint.ConfigInt("n_layer"), 1, 1024),
            Heads = heads,
            KvHeads = heads,
            FeedForwardDim = Bounded(name, "n_inner", checkpoint.ConfigInt("n_inner", 4 * dim), 1, 1 << 20),
            VocabSize = Bounded(name, "vocab_size", checkpoint.ConfigInt("vocab_size", vocabFromTensor), 1, 1 << 24),
            LayerNormEpsilon = checkpoint.ConfigFloat("layer_norm_epsilon", 1e-5f),
        };
        return config.Checked(name);
    }

    private Gpt2Config Checked(string name)
    {
        if (Dim % Heads != 0) throw new ModelFormatException($"{name}: embedding length {Dim} is not a multiple of head count {Heads}");
        if (Heads % KvHeads != 0) throw new ModelFormatException($"{name}: head count {Heads} is not a multiple of KV head count {KvHeads}");
        return this;
    }

    private static int Bounded(string file, string key, long value, long min, long max)
    {
        if (value < min || value > max) ThrowOutOfRange(file, key, value, min, max);
        return (int)value;
    }

    private static void ThrowOutOfRange(string file, string key, long value, long min, long max) =>
        throw new ModelFormatException($"{file}: '{key}' is {value}, expected {min}..{max}");
}
