// Turns a synthetic F32 GPT-2 GGUF into the folder transformers would save for the same weights (safetensors, config, tokenizer).
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Quill.Formats.Gguf;
using Quill.Formats.Safetensors;
using Quill.Models;
using Quill.Tensors;

namespace Quill.Tests.Models.Gpt2;

internal static class HuggingFaceGpt2Files
{
    private static readonly string Root = Directory.CreateTempSubdirectory("quill-hf-gpt2-").FullName;

    static HuggingFaceGpt2Files() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    };

    /// <summary>How the folder spells things: "transformer." prefix or none, tokenizer.json or vocab.json + merges.txt.</summary>
    public sealed record Layout(bool Prefix, bool TokenizerJson);

    /// <summary>Writes the folder for an F32 GGUF file; Conv1D weights are stored [in, out] as transformers stores them.</summary>
    public static string Write(string ggufPath, Layout layout)
    {
        string folder = Directory.CreateDirectory(Path.Combine(Root, Guid.NewGuid().ToString("N"))).FullName;
        using var gguf = GgufFile.Open(ggufPath);
        int dim = (int)gguf.RequireInteger("gpt2.embedding_length");
        int layers = (int)gguf.RequireInteger("gpt2.block_count");
        string p = layout.Prefix ? "transformer." : "";
        var writer = new SafetensorsWriter();
        writer.Set("format", "pt");

        float[] Floats(string name)
        {
            var info = gguf.GetTensor(name);
            if (info.Type != GgmlType.F32) throw new InvalidOperationException($"{name} is {info.Type}; the fixture needs F32");
            return MemoryMarshal.Cast<byte, float>(gguf.GetTensorData(info)).ToArray();
        }
        void Add(string hfName, long[] shape, float[] values) =>
            writer.AddTensor(hfName, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        void Same(string hfName, string ggufName)
        {
            var shape = gguf.GetTensor(ggufName).Shape;
            Add(hfName, shape.Reverse().ToArray(), Floats(ggufName));
        }
        void Conv1D(string hfName, string ggufName)
        {
            var shape = gguf.GetTensor(ggufName).Shape; // [in, out]: out rows of in
            int inputs = (int)shape[0], outputs = (int)shape[1];
            var rows = Floats(ggufName);
            var transposed = new float[rows.Length];
            for (int n = 0; n < outputs; n++)
                for (int k = 0; k < inputs; k++)
                    transposed[(long)k * outputs + n] = rows[(long)n * inputs + k];
            Add(hfName, [inputs, outputs], transposed);
        }

        Same(p + "wte.weight", TensorNames.TokenEmbedding);
        Same(p + "wpe.weight", TensorNames.PositionEmbedding);
        for (int l = 0; l < layers; l++)
        {
            string h = $"{p}h.{l}.";
            Same(h + "ln_1.weight", TensorNames.AttentionNorm(l));
            Same(h + "ln_1.bias", TensorNames.AttentionNormBias(l));
            Conv1D(h + "attn.c_attn.weight", TensorNames.AttentionQkv(l));
            Same(h + "attn.c_attn.bias", TensorNames.AttentionQkvBias(l));
            Conv1D(h + "attn.c_proj.weight", TensorNames.AttentionOutput(l));
            Same(h + "attn.c_proj.bias", TensorNames.AttentionOutputBias(l));
            Same(h + "ln_2.weight", TensorNames.FeedForwardNorm(l));
            Same(h + "ln_2.bias", TensorNames.FeedForwardNormBias(l));
            Conv1D(h + "mlp.c_fc.weight", TensorNames.FeedForwardUp(l));
            Same(h + "mlp.c_fc.bias", TensorNames.FeedForwardUpBias(l));
            Conv1D(h + "mlp.c_proj.weight", TensorNames.FeedForwardDown(l));
            Same(h + "mlp.c_proj.bias", TensorNames.FeedForwardDownBias(l));
        }
        Same(p + "ln_f.weight", TensorNames.OutputNorm);
        Same(p + "ln_f.bias", TensorNames.OutputNormBias);
        if (gguf.FindTensor(TensorNames.Output) is not null) Same("lm_head.weight", TensorNames.Output);
        writer.WriteTo(Path.Combine(folder, "model.safetensors"));

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["activation_function"] = "gelu_new",
            ["n_embd"] = dim,
            ["n_layer"] = layers,
            ["n_head"] = (int)gguf.RequireInteger("gpt2.attention.head_count"),
            ["n_positions"] = (int)gguf.RequireInteger("gpt2.context_length"),
            ["n_ctx"] = (int)gguf.RequireInteger("gpt2.context_length"),
            ["n_inner"] = (int)gguf.RequireInteger("gpt2.feed_forward_length"),
            ["layer_norm_epsilon"] = gguf.GetFloat32("gpt2.attention.layer_norm_epsilon"),
            ["vocab_size"] = gguf.GetStringArray("tokenizer.ggml.tokens")!.Length,
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        WriteTokenizer(gguf, folder, layout.TokenizerJson);
        return folder;
    }

    private static void WriteTokenizer(GgufFile gguf, string folder, bool tokenizerJson)
    {
        string[] tokens = gguf.GetStringArray("tokenizer.ggml.tokens")!;
        string[] merges = gguf.GetStringArray("tokenizer.ggml.merges")!;
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        if (!tokenizerJson)
        {
            File.WriteAllText(Path.Combine(folder, "vocab.json"), vocab.ToJsonString());
            File.WriteAllLines(Path.Combine(folder, "merges.txt"), ["#version: 0.2", .. merges]);
            return;
        }
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = tokens.Length - 1, ["content"] = "<|endoftext|>", ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = true, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m!).ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            new JsonObject { ["tokenizer_class"] = "GPT2Tokenizer", ["bos_token"] = "<|endoftext|>", ["eos_token"] = "<|endoftext|>" }.ToJsonString());
    }
}
