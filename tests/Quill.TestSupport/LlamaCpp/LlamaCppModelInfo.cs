// What llama.cpp read from a GGUF file, as reported by the reference harness; not Quill's own model config.
namespace Quill.TestSupport.LlamaCpp;

/// <param name="VocabularySize">V, the number of tokens.</param>
/// <param name="EmbeddingLength">C, the residual width.</param>
/// <param name="BlockCount">Number of transformer blocks.</param>
/// <param name="HeadCount">Query heads.</param>
/// <param name="HeadCountKv">Key/value heads.</param>
/// <param name="ContextLength">The training context length from the metadata.</param>
/// <param name="Description">llama_model_desc, e.g. "llama ?B all F32".</param>
/// <param name="ParameterCount">Total number of weights.</param>
/// <param name="FileType">llama.cpp's LLamaFtype name, e.g. ALL_F32 or MOSTLY_Q8_0.</param>
/// <param name="LibraryPath">The libllama that did the reading (shows which AVX build was picked).</param>
public sealed record LlamaCppModelInfo(
    int VocabularySize,
    int EmbeddingLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int ContextLength,
    string Description,
    ulong ParameterCount,
    string FileType,
    string LibraryPath);
