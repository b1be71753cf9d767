// The KV cache element type a llama.cpp reference context uses (its type_k and type_v).
namespace Quill.TestSupport.LlamaCpp;

/// <summary>llama.cpp's type_k = type_v for a reference context: F32 (the harness's default, exact) or F16 (llama.cpp's own default).</summary>
public enum LlamaCppKvCache
{
    /// <summary>GGML_TYPE_F32 keys and values.</summary>
    F32,

    /// <summary>GGML_TYPE_F16 keys and values, as llama.cpp caches by default.</summary>
    F16,
}
