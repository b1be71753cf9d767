// How scores are made for a SentencePiece-style ("llama") vocabulary converted from tokenizer.json.
namespace Quill.Tokenizers.Conversion;

/// <summary>
/// tokenizer.json keeps no SentencePiece scores, only BPE merges, and llama.cpp's "llama" tokenizer merges the
/// highest-scoring adjacent pair whose concatenation is a token.
/// </summary>
public enum SentencePieceScores
{
    /// <summary>
    /// A token made by merge number r (0-based, first in model.merges) scores -(r + 1); other normal tokens score one less
    /// than the last merge; byte, unknown and control tokens score 0, added tokens -1000. llama.cpp then merges in
    /// Hugging Face's order, as the scores in the original tokenizer.model do.
    /// </summary>
    MergeRank,

    /// <summary>
    /// -1000 for every token: what llama.cpp's convert_hf_to_gguf.py writes when only tokenizer.json exists
    /// (gguf-py's LlamaHfVocab). Every pair then ties and llama.cpp merges leftmost first, which differs from Hugging Face.
    /// </summary>
    Constant,
}
