// The one table of checkpoint tensor names, spelled as llama.cpp's GGUF files spell them (llama-arch.cpp).
namespace Quill.Models;

/// <summary>GGUF tensor names shared by the decoder architectures.</summary>
public static class TensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";
    public const string PositionEmbedding = "position_embd.weight";
    public const string OutputNormBias = "output_norm.bias";

    public static string AttentionNorm(int layer) => $"blk.{layer}.attn_norm.weight";
    public static string AttentionQuery(int layer) => $"blk.{layer}.attn_q.weight";
    public static string AttentionKey(int layer) => $"blk.{layer}.attn_k.weight";
    public static string AttentionValue(int layer) => $"blk.{layer}.attn_v.weight";
    public static string AttentionQueryBias(int layer) => $"blk.{layer}.attn_q.bias";
    public static string AttentionKeyBias(int layer) => $"blk.{layer}.attn_k.bias";
    public static string AttentionValueBias(int layer) => $"blk.{layer}.attn_v.bias";
    public static string AttentionOutput(int layer) => $"blk.{layer}.attn_output.weight";
    public static string FeedForwardNorm(int layer) => $"blk.{layer}.ffn_norm.weight";
    public static string FeedForwardGate(int layer) => $"blk.{layer}.ffn_gate.weight";
    public static string FeedForwardUp(int layer) => $"blk.{layer}.ffn_up.weight";
    public static string FeedForwardDown(int layer) => $"blk.{layer}.ffn_down.weight";

    // GPT-2 (LayerNorm with bias, fused QKV, biased linear layers).
    public static string AttentionNormBias(int layer) => $"blk.{layer}.attn_norm.bias";
    public static string AttentionQkv(int layer) => $"blk.{layer}.attn_qkv.weight";
    public static string AttentionQkvBias(int layer) => $"blk.{layer}.attn_qkv.bias";
    public static string AttentionOutputBias(int layer) => $"blk.{layer}.attn_output.bias";
    public static string FeedForwardNormBias(int layer) => $"blk.{layer}.ffn_norm.bias";
    public static string FeedForwardUpBias(int layer) => $"blk.{layer}.ffn_up.bias";
    public static string FeedForwardDownBias(int layer) => $"blk.{layer}.ffn_down.bias";
}
