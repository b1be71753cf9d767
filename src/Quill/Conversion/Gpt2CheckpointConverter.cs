// Hugging Face GPT-2 checkpoints (GPT2LMHeadModel / GPT2Model) to GGUF as llama.cpp's convert_hf_to_gguf.py writes them.
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Gpt2;
using Quill.Tokenizers.Conversion;

namespace Quill.Conversion;

/// <summary>
/// transformers' names (wte, wpe, h.N.ln_1, h.N.attn.c_attn, h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj,
/// ln_f; optionally under "transformer.") become llama.cpp's (token_embd, position_embd, blk.N.attn_norm, attn_qkv,
/// attn_output, ffn_norm, ffn_up, ffn_down, output_norm); Conv1D weights, stored [in, out], are transposed; the output
/// head is written only when the checkpoint stores an lm_head (GPT-2 releases tie it to wte and do not).
/// </summary>
public static class Gpt2CheckpointConverter
{
    public static void Convert(string folder, string outputPath, ConversionOptions? options = null)
    {
        options ??= new ConversionOptions();
        using HuggingFaceCheckpoint checkpoint = HuggingFaceCheckpoint.Open(folder);
        string p = checkpoint.Has("transformer.wte.weight") ? "transformer." : checkpoint.Has("wte.weight") ? ""
            : throw new Formats.ModelFormatException($"{folder}: expected GPT-2 tensors ('wte.weight' or 'transformer.wte.weight'), found neither");
        int dim = checkpoint.ConfigInt("n_embd");
        int layers = checkpoint.ConfigInt("n_layer");
        int heads = checkpoint.ConfigInt("n_head");
        int context = checkpoint.ConfigInt("n_positions", checkpoint.ConfigInt("n_ctx", 1024));
        int ffn = checkpoint.Config.TryGetProperty("n_inner",
            out var inner) && inner.ValueKind == System.Text.Json.JsonValueKind.Number ? inner.GetInt32() : 4 * dim;
        int vocab = checked((int)checkpoint.Shape(p + "wte.weight")[0]);

        var writer = new GgufWriter();
        writer.Set("general.architecture", "gpt2");
        writer.Set("general.name", Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)));
        writer.Set("general.file_type", CheckpointTensors.FileType(options.Type));
        writer.Set("gpt2.context_length", (uint)context);
        writer.Set("gpt2.embedding_length", (uint)dim);
        writer.Set("gpt2.block_count", (uint)layers);
        writer.Set("gpt2.feed_forward_length", (uint)ffn);
        writer.Set("gpt2.attention.head_count", (uint)heads);
        writer.Set("gpt2.attention.layer_norm_epsilon", checkpoint.ConfigFloat("layer_norm_epsilon", 1e-5f));
        WriteTokenizer(writer, folder, vocab);

        CheckpointTensors.AddMatrix(writer, checkpoint, p + "wte.weight", TensorNames.TokenEmbedding, options.Type);
        CheckpointTensors.AddMatrix(writer, checkpoint, p + "wpe.weight", TensorNames.PositionEmbedding, Tensors.GgmlType.F32);
        for (int l = 0; l < layers; l++)
        {
            string h = $"{p}h.{l}.";
            CheckpointTensors.AddVector(writer, checkpoint, h + "ln_1.weight", TensorNames.AttentionNorm(l));
            CheckpointTensors.AddVector(writer, checkpoint, h + "ln_1.bias", TensorNames.AttentionNormBias(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, h + "attn.c_attn.weight", TensorNames.AttentionQkv(l), options.Type, transposed: true);
            CheckpointTensors.AddVector(writer, checkpoint, h + "attn.c_attn.bias", TensorNames.AttentionQkvBias(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, h + "attn.c_proj.weight", TensorNames.AttentionOutput(l), options.Type, transposed: true);
            CheckpointTensors.AddVector(writer, checkpoint, h + "attn.c_proj.bias", TensorNames.AttentionOutputBias(l));
            CheckpointTensors.AddVector(writer, checkpoint, h + "ln_2.weight", TensorNames.FeedForwardNorm(l));
            CheckpointTensors.AddVector(writer, checkpoint, h + "ln_2.bias", TensorNames.FeedForwardNormBias(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, h + "mlp.c_fc.weight", TensorNames.FeedForwardUp(l), options.Type, transposed: true);
            CheckpointTensors.AddVector(writer, checkpoint, h + "mlp.c_fc.bias", TensorNames.FeedForwardUpBias(l));
            CheckpointTensors.AddMatrix(writer, checkpoint, h + "mlp.c_proj.weight", TensorNames.FeedForwardDown(l), options.Type, transposed: true);
            CheckpointTensors.AddVector(writer, checkpoint, h + "mlp.c_proj.bias", TensorNames.FeedForwardDownBias(l));
            options.Progress?.Report((l + 1.0) / (layers + 1));
        }
        CheckpointTensors.AddVector(writer, checkpoint, p + "ln_f.weight", TensorNames.OutputNorm);
        CheckpointTensors.AddVector(writer, checkpoint, p + "ln_f.bias", TensorNames.OutputNormBias);
        if (checkpoint.Has("lm_head.weight"))
            CheckpointTensors.AddMatrix(writer, checkpoint, "lm_head.weight", TensorNames.Output, options.Type);
        writer.WriteTo(outputPath);
        options.Progress?.Report(1.0);
    }

    /// <summary>The folder's tokenizer.json, or vocab.json + merges.txt turned into one (GPT-2 releases ship both).</summary>
    private static void WriteTokenizer(GgufWriter writer, string folder, int vocab)
    {
        string json = Path.Combine(folder, "tokenizer.json");
        var options = new TokenizerJsonConversionOptions(VocabularySize: vocab);
        if (File.Exists(json))
        {
            TokenizerJsonToGguf.Read(json, null, options).WriteTo(writer);
            return;
        }
        string vocabPath = Path.Combine(folder, "vocab.json"), mergesPath = Path.Combine(folder, "merges.txt");
        if (!File.Exists(vocabPath) || !File.Exists(mergesPath))
            throw new Formats.ModelFormatException($"{folder}: expected tokenizer.json, or vocab.json and merges.txt, found neither");
        (string tokenizer, string config) = Gpt2TokenizerFiles.JsonFromVocabAndMerges(vocabPath, mergesPath);
        string temp = Directory.CreateTempSubdirectory("quill-gpt2-tokenizer-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(temp, "tokenizer.json"), tokenizer);
            File.WriteAllText(Path.Combine(temp, "tokenizer_config.json"), config);
            TokenizerJsonToGguf.Read(Path.Combine(temp, "tokenizer.json"), Path.Combine(temp, "tokenizer_config.json"), options).WriteTo(writer);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
