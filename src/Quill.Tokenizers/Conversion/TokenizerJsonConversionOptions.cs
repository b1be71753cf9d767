// Choices for converting tokenizer.json to GGUF tokenizer metadata; plain data, no behaviour.
namespace Quill.Tokenizers.Conversion;

/// <summary>
/// <paramref name="Scores"/> picks how a "llama" vocabulary is scored. <paramref name="VocabularySize"/> is the model's
/// vocab_size (config.json) when it is larger than the tokenizer's: ids up to it with no token become "[PAD{id}]"
/// unused tokens, as convert_hf_to_gguf.py pads them; null means one past the largest id.
/// </summary>
public sealed record TokenizerJsonConversionOptions(SentencePieceScores Scores = SentencePieceScores.MergeRank, int? VocabularySize = null)
{
    public static TokenizerJsonConversionOptions Default { get; } = new();
}
