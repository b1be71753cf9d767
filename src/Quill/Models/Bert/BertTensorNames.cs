// The one table of BERT tensor names: llama.cpp's GGUF spelling (ours), and the Hugging Face BertModel names mapped to it.
using System.Text.RegularExpressions;

namespace Quill.Models.Bert;

/// <summary>GGUF names as llama.cpp's BERT architecture spells them (llama-arch.cpp), and the HF → GGUF mapping.</summary>
public static partial class BertTensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string TokenTypes = "token_types.weight";
    public const string PositionEmbedding = "position_embd.weight";
    public const string EmbeddingNorm = "token_embd_norm.weight";
    public const string EmbeddingNormBias = "token_embd_norm.bias";

    public static string Query(int layer) => $"blk.{layer}.attn_q.weight";
    public static string QueryBias(int layer) => $"blk.{layer}.attn_q.bias";
    public static string Key(int layer) => $"blk.{layer}.attn_k.weight";
    public static string KeyBias(int layer) => $"blk.{layer}.attn_k.bias";
    public static string Value(int layer) => $"blk.{layer}.attn_v.weight";
    public static string ValueBias(int layer) => $"blk.{layer}.attn_v.bias";
    public static string AttentionOutput(int layer) => $"blk.{layer}.attn_output.weight";
    public static string AttentionOutputBias(int layer) => $"blk.{layer}.attn_output.bias";
    public static string AttentionNorm(int layer) => $"blk.{layer}.attn_output_norm.weight";
    public static string AttentionNormBias(int layer) => $"blk.{layer}.attn_output_norm.bias";
    public static string Up(int layer) => $"blk.{layer}.ffn_up.weight";
    public static string UpBias(int layer) => $"blk.{layer}.ffn_up.bias";
    public static string Down(int layer) => $"blk.{layer}.ffn_down.weight";
    public static string DownBias(int layer) => $"blk.{layer}.ffn_down.bias";
    public static string OutputNorm(int layer) => $"blk.{layer}.layer_output_norm.weight";
    public static string OutputNormBias(int layer) => $"blk.{layer}.layer_output_norm.bias";

    private static readonly Dictionary<string, string> Embeddings = new(StringComparer.Ordinal)
    {
        ["embeddings.word_embeddings.weight"] = TokenEmbedding,
        ["embeddings.position_embeddings.weight"] = PositionEmbedding,
        ["embeddings.token_type_embeddings.weight"] = TokenTypes,
        ["embeddings.LayerNorm.weight"] = EmbeddingNorm,
        ["embeddings.LayerNorm.bias"] = EmbeddingNormBias,
    };

    private static readonly Dictionary<string, string> LayerParts = new(StringComparer.Ordinal)
    {
        ["attention.self.query"] = "attn_q",
        ["attention.self.key"] = "attn_k",
        ["attention.self.value"] = "attn_v",
        ["attention.output.dense"] = "attn_output",
        ["attention.output.LayerNorm"] = "attn_output_norm",
        ["intermediate.dense"] = "ffn_up",
        ["output.dense"] = "ffn_down",
        ["output.LayerNorm"] = "layer_output_norm",
    };

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.(.+)\.(weight|bias|gamma|beta)$")]
    private static partial Regex LayerName();

    /// <summary>
    /// The GGUF name of a Hugging Face BertModel tensor ("bert." prefix, gamma/beta spellings accepted), or null for one
    /// an encoder does not use (pooler, position_ids, MLM heads).
    /// </summary>
    public static string? FromHuggingFace(string name)
    {
        if (name.StartsWith("bert.", StringComparison.Ordinal)) name = name[5..];
        name = name.Replace("LayerNorm.gamma", "LayerNorm.weight", StringComparison.Ordinal).Replace("LayerNorm.beta", "LayerNorm.bias",
            StringComparison.Ordinal);
        if (Embeddings.TryGetValue(name, out string? embedding)) return embedding;
        var match = LayerName().Match(name);
        if (!match.Success || !LayerParts.TryGetValue(match.Groups[2].Value, out string? part)) return null;
        return $"blk.{match.Groups[1].Value}.{part}.{match.Groups[3].Value}";
    }
}
