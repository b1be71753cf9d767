// A tiny random BERT checkpoint with a small WordPiece vocabulary, and its files (GGUF, HF folder), for the tests.
using System.Runtime.InteropServices;
using Quill.Embeddings;
using Quill.Formats.Safetensors;
using Quill.Models.Bert;

namespace Quill.Tests.Models.Bert;

internal static class TinyBert
{
    public static readonly string[] Tokens =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", ".", "a", "dog", "ran", "##s", "##ing",
        "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    ];

    public static BertConfig Config
        => new(Tokens.Length, Dim: 32, Layers: 2, Heads: 4, FeedForwardDim: 64, MaxPositions: 16, TokenTypes: 2, 1e-12f, Pooling.Mean);

    public static BertCheckpoint Create(int seed = 1)
    {
        var random = new Random(seed);
        var tensors = new Dictionary<string, BertTensor>(StringComparer.Ordinal);
        foreach (var (name, rows, columns) in BertCheckpoint.Layout(Config))
        {
            var t = BertTensor.Allocate(rows, columns);
            bool norm = name.Contains("norm.weight", StringComparison.Ordinal);
            for (int i = 0; i < t.Data.Length; i++)
                t.Data[i] = norm ? 1 + (float)(random.NextDouble() - 0.5) * 0.2f : (float)(random.NextDouble() * 2 - 1) * 0.3f;
            tensors[name] = t;
        }
        return new BertCheckpoint("tiny-bert", Config, tensors, new BertVocabulary(Tokens, "tiny"));
    }

    /// <summary>A Hugging Face folder: config.json, model.safetensors with BertModel names (F32, plus a pooler to ignore), vocab.txt.</summary>
    public static void WriteHuggingFaceFolder(BertCheckpoint checkpoint, string folder)
    {
        var c = checkpoint.Config;
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["BertModel"], "hidden_act": "gelu", "hidden_size": {{c.Dim}}, "num_hidden_layers": {{c.Layers}},
             "num_attention_heads": {{c.Heads}}, "intermediate_size": {{c.FeedForwardDim}}, "max_position_embeddings": {{c.MaxPositions}},
             "type_vocab_size": {{c.TokenTypes}}, "vocab_size": {{c.VocabSize}}, "layer_norm_eps": 1e-12, "position_embedding_type": "absolute"}
            """);
        File.WriteAllLines(Path.Combine(folder, "vocab.txt"), Tokens);
        var writer = new SafetensorsWriter();
        var names = new Dictionary<string, string>
        {
            [BertTensorNames.TokenEmbedding] = "embeddings.word_embeddings.weight",
            [BertTensorNames.PositionEmbedding] = "embeddings.position_embeddings.weight",
            [BertTensorNames.TokenTypes] = "embeddings.token_type_embeddings.weight",
            [BertTensorNames.EmbeddingNorm] = "embeddings.LayerNorm.weight",
            [BertTensorNames.EmbeddingNormBias] = "embeddings.LayerNorm.bias",
        };
        string[] parts = ["attn_q", "attention.self.query", "attn_k", "attention.self.key", "attn_v", "attention.self.value", "attn_output",
            "attention.output.dense",
            "attn_output_norm", "attention.output.LayerNorm", "ffn_up", "intermediate.dense", "ffn_down", "output.dense", "layer_output_norm",
                "output.LayerNorm"];
        for (int l = 0; l < c.Layers; l++)
            for (int p = 0; p < parts.Length; p += 2)
                foreach (string suffix in new[] { "weight", "bias" })
                    names[$"blk.{l}.{parts[p]}.{suffix}"] = $"bert.encoder.layer.{l}.{parts[p + 1]}.{suffix}";
        foreach (var (gguf, hf) in names)
        {
            var t = checkpoint.Tensors[gguf];
            long[] shape = t.Rows == 1 && !gguf.EndsWith("embd.weight",
                StringComparison.Ordinal) && gguf != BertTensorNames.TokenTypes ? [t.Columns] : [t.Rows, t.Columns];
            writer.AddTensor(hf, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray());
        }
        writer.AddTensor("bert.pooler.dense.weight", SafetensorsDType.F32, [c.Dim, c.Dim], new byte[c.Dim * c.Dim * 4]);
        writer.WriteTo(Path.Combine(folder, "model.safetensors"));
    }
}
