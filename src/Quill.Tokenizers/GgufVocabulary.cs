// The tokenizer.ggml.* metadata of a GGUF file as plain data, with llama.cpp's defaults already applied; no behaviour.
namespace Quill.Tokenizers;

/// <summary>
/// A vocabulary as GGUF stores it. <paramref name="Model"/> is "llama" (SentencePiece BPE) or "gpt2" (byte-level BPE);
/// <paramref name="Pre"/> names the gpt2 pre-tokenizer. Ids are -1 when absent. <paramref name="EndOfGenerationIds"/>
/// holds the explicit EOS/EOT/EOM ids; <see cref="GgufTokenizerLoader.Create"/> adds the ones llama.cpp finds by text.
/// </summary>
public sealed record GgufVocabulary(
    string Model,
    string? Pre,
    string[] Tokens,
    float[]? Scores,
    int[]? TokenTypes,
    string[]? Merges,
    int BosId,
    int EosId,
    int UnknownId,
    int PaddingId,
    int[] EndOfGenerationIds,
    bool AddBos,
    bool AddEos,
    bool AddSpacePrefix);
