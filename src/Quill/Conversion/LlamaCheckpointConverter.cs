// Hugging Face Llama-family checkpoints (Llama, Mistral, Qwen2 *ForCausalLM) to GGUF, as llama.cpp's convert_hf_to_gguf.py writes them.
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Tensors;
using Quill.Tokenizers.Conversion;

namespace Quill.Conversion;

/// <summary>
/// Maps the checkpoint's names to llama.cpp's (model.layers.N.self_attn.q_proj → blk.N.attn_q, ...), writes the
/// hyperparameters under the architecture's keys and the tokenizer from the folder's tokenizer.json
/// (<see cref="TokenizerJsonToGguf"/>). For the llama architecture the q/k projection rows are permuted from
/// Hugging Face's rotate-half RoPE layout to ggml's interleaved one, exactly as the converter's <c>permute</c> does;
/// Qwen2 keeps its NeoX layout and q/k/v biases. Matrices are stored as <see cref="ConversionOptions.Type"/> (F16 by
/// default), norms and biases as F32.
/// </summary>
public static class LlamaCheckpointConverter
{
    /// <summary>The Hugging Face model_type values this converter takes, and the GGUF architecture each becomes.</summary>
    public static IReadOnlyDictionary<string, string> Architectures { get; } = new Dictionary<string, string>
    {
        ["llama"] = "llama", ["mistral"] = "llama", ["qwen2"] = "qwen2",
    };

    public static void Convert(string folder, string outputPath, ConversionOptions? options = null)
    {
        options ??= new ConversionOptions();
        using HuggingFaceCheckpoint checkpoint = HuggingFaceCheckpoint.Open(folder);
        string modelType = checkpoint.ConfigString("model_type") ?? "";
        if (!Architectures.TryGetValue(modelType, out string? arch))
        {
            throw new Formats.ModelFormatException(
                $"{Path.Combine(folder, "config.json")}: model_type '{modelType}' is not a Llama-family model ({string.Join(", ", Architectures.Keys)})");
        }
        GgufWriter writer = Write(checkpoint, arch, options);
        writer.WriteTo(outputPath);
    }

    private static GgufWriter Write(HuggingFaceCheckpoint checkpoint, string arch, ConversionOptions options)
    {
        int dim = checkpoint.ConfigInt("hidden_size");
        int layers = checkpoint.ConfigInt("num_hidden_layers");
        int heads = checkpoint.ConfigInt("num_attention_heads");
        int kvHeads = checkpoint.ConfigInt("num_key_value_heads", heads);
        int ffn = checkpoint.ConfigInt("intermediate_size");
        int headDim = checkpoint.ConfigInt("head_dim", dim / heads);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || headDim % 2 != 0)
            throw new Formats.ModelFormatException($"{checkpoint.Folder}: config.json heads {heads} / key-value heads {kvHeads} / head_dim {headDim} do not " +
                $"fit");

        var writer = new GgufWriter();
        writer.Set("general.architecture", arch);
        writer.Set("general.name", Path.GetFileName(Path.GetFullPath(checkpoint.Folder).TrimEnd(Path.DirectorySeparatorChar)));
        writer.Set("general.file_type", CheckpointTensors.FileType(options.Type));
        writer.Set($"{arch}.context_length", (uint)checkpoint.ConfigInt("max_position_embeddings", 2048));
        writer.Set($"{arch}.embedding_length", (uint)dim);
        writer.Set($"{arch}.block_count", (uint)layers);
        writer.Set($"{arch}.feed_forward_length", (uint)ffn);
        writer.Set($"{arch}.attention.head_count", (uint)heads);
        writer.Set($"{arch}.attention.head_count_kv", (uint)kvHeads);
        writer.Set($"{arch}.attention.layer_norm_rms_epsilon", checkpoint.ConfigFloat("rms_norm_eps", 1e-6f));
        writer.Set($"{arch}.rope.freq_base", checkpoint.ConfigFloat("rope_theta", 10000f));
        writer.Set($"{arch}.rope.dimension_count", (uint)headDim);
        if (headDim != dim / heads)
        {
            writer.Set($"{arch}.attention.key_length", (uint)headDim);
            writer.Set($"{arch}.attention.value_length", (uint)headDim);
        }
        if (RopeLinearFactor(checkpoint) is float factor)
        {
            writer.Set($"{arch}.rope.scaling.type", "linear");
            writer.Set($"{arch}.rope.scaling.factor", factor);
        }
        if (checkpoint.Config.TryGetProperty("sliding_window", out var window) && window.ValueKind == System.Text.Json.JsonValueKind.Number)
            writer.Set($"{arch}.attention.sliding_window", (uint)window.GetInt32());

        string tokenizerJson = Path.Combine(checkpoint.Folder, "tokenizer.json");
        if (!File.Exists(tokenizerJson)) throw new Formats.ModelFormatException($"{checkpoint.Folder}: expected tokenizer.json beside config.json, found none");
        string? tokenizerConfig = Path.Combine(checkpoint.Folder, "tokenizer_config.json");
        if (!File.Exists(tokenizerConfig)) tokenizerConfig = null;
        int vocab = checkpoint.ConfigInt("vocab_size");
        TokenizerJsonToGguf.Read(tokenizerJson, tokenizerConfig, new TokenizerJsonConversionOptions(VocabularySize: vocab)).WriteTo(writer);
        writer.Set($"{arch}.vocab_size", (uint)vocab);

        bool permute = arch == "llama";
        CheckpointTensors.AddMatrix(writer, checkpoint, "model.embed_tokens.weight", TensorNames.TokenEmbedding, options.Type);
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            CheckpointTensors.AddVector(writer, checkpoint, p + "input_layernorm.weight", TensorNames.AttentionNorm(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "self_attn.q_proj.weight", TensorNames.AttentionQuery(l), options.Type,
                permute ? values => PermuteRows(values.Values, values.Rows, values.Columns, heads) : null);
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "self_attn.k_proj.weight", TensorNames.AttentionKey(l), options.Type,
                permute ? values => PermuteRows(values.Values, values.Rows, values.Columns, kvHeads) : null);
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "self_attn.v_proj.weight", TensorNames.AttentionValue(l), options.Type);
            foreach ((string source, string target) in (ReadOnlySpan<(string, string)>)[
                ("self_attn.q_proj.bias", TensorNames.AttentionQueryBias(l)), ("self_attn.k_proj.bias", TensorNames.AttentionKeyBias(l)),
                ("self_attn.v_proj.bias", TensorNames.AttentionValueBias(l))])
            {
                if (checkpoint.Has(p + source)) CheckpointTensors.AddVector(writer, checkpoint, p + source, target);
            }
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "self_attn.o_proj.weight", TensorNames.AttentionOutput(l), options.Type);
            CheckpointTensors.AddVector(writer, checkpoint, p + "post_attention_layernorm.weight", TensorNames.FeedForwardNorm(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "mlp.gate_proj.weight", TensorNames.FeedForwardGate(l), options.Type);
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "mlp.up_proj.weight", TensorNames.FeedForwardUp(l), options.Type);
            CheckpointTensors.AddMatrix(writer, checkpoint, p + "mlp.down_proj.weight", TensorNames.FeedForwardDown(l), options.Type);
            options.Progress?.Report((l + 1.0) / (layers + 1));
        }
        CheckpointTensors.AddVector(writer, checkpoint, "model.norm.weight", TensorNames.OutputNorm);
        bool tied = checkpoint.ConfigBool("tie_word_embeddings", false) || !checkpoint.Has("lm_head.weight");
        if (!tied) CheckpointTensors.AddMatrix(writer, checkpoint, "lm_head.weight", TensorNames.Output, options.Type);
        options.Progress?.Report(1.0);
        return writer;
    }

    private static float? RopeLinearFactor(HuggingFaceCheckpoint checkpoint)
    {
        if (!checkpoint.Config.TryGetProperty("rope_scaling", out var scaling) || scaling.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
        string? type = scaling.TryGetProperty("type", out var t) ? t.GetString() : scaling.TryGetProperty("rope_type", out var rt) ? rt.GetString() : null;
        if (type != "linear")
            throw new Formats.ModelFormatException($"{checkpoint.Folder}: config.json rope_scaling type '{type}' is not supported (linear)");
        return scaling.GetProperty("factor").GetSingle();
    }

    /// <summary>convert_hf_to_gguf's permute(w, n_head): reshape(n_head, 2, d/2, cols).swapaxes(1, 2).</summary>
    public static float[] PermuteRows(float[] values, int rows, int columns, int heads)
    {
        if (rows % heads != 0 || (rows / heads) % 2 != 0)
            throw new Formats.ModelFormatException($"a {rows}-row q/k projection does not split into {heads} heads of even size");
        int headRows = rows / heads, half = headRows / 2;
        var result = new float[values.Length];
        for (int h = 0; h < heads; h++)
        {
            for (int j = 0; j < 2; j++)
            {
                for (int i = 0; i < half; i++)
                {
                    int from = h * headRows + j * half + i, to = h * headRows + i * 2 + j;
                    Array.Copy(values, (long)from * columns, result, (long)to * columns, columns);
                }
            }
        }
        return result;
    }

}

/// <summary>How a checkpoint is converted.</summary>
public sealed record ConversionOptions
{
    /// <summary>The type of the matrices (norms and biases stay F32); a type whose block does not divide a row falls back to F16.</summary>
    public GgmlType Type { get; init; } = GgmlType.F16;

    public IProgress<double>? Progress { get; init; }
}
