// The five stage contracts of a tokenizer pipeline, as Hugging Face tokenizers splits the work; implementations live beside.
namespace Quill.Tokenizers.Pipeline;

/// <summary>A range of the <see cref="NormalizedText"/> that the model tokenizes on its own (a "word").</summary>
public readonly record struct TextPiece(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>Rewrites the text before splitting (NFC, lower-casing, accent stripping, "▁" for spaces ...).</summary>
public interface INormalizer
{
    void Normalize(NormalizedText text);
}

/// <summary>
/// Splits the text into pieces. <c>pieces</c> holds the current pieces (at first one piece, the whole
/// text); an implementation replaces them with finer ones. It may rewrite <c>text</c> (byte-level mapping,
/// Metaspace) when it keeps the pieces consistent with the rewrite (<see cref="NormalizedText.MapIndex"/>).
/// </summary>
public interface IPreTokenizer
{
    void PreTokenize(NormalizedText text, List<TextPiece> pieces);
}

/// <summary>The vocabulary model: BPE, WordPiece, Unigram.</summary>
public interface ISubwordModel
{
    /// <summary>Number of ids the model itself knows (added tokens not included).</summary>
    int VocabSize { get; }

    /// <summary>The vocabulary's spelling of <paramref name="id"/>, or null when the model has no such id.</summary>
    string? IdToToken(int id);

    /// <summary>The id spelled <paramref name="token"/>, or -1.</summary>
    int TokenToId(ReadOnlySpan<char> token);

    /// <summary>Appends the tokens of one piece, with offsets as char positions inside <paramref name="piece"/>.</summary>
    void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output);
}

/// <summary>Adds the special tokens of a single sequence ([CLS] … [SEP], BOS) and adjusts offsets (trim_offsets).</summary>
public interface IPostProcessor
{
    /// <summary>
    /// <paramref name="tokens"/> holds the encoded sequence, offsets into <paramref name="text"/>; <paramref name="addSpecial"/>
    /// says whether to add special tokens (offsets of adjustment apply either way, as in Hugging Face).
    /// </summary>
    void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial);
}

/// <summary>Turns token spellings back into text pieces (ByteLevel, Metaspace, WordPiece "##", ByteFallback, ...).</summary>
public interface ITokenDecoder
{
    /// <summary>Rewrites <paramref name="tokens"/> in place, as Hugging Face's decode_chain; the result is concatenated.</summary>
    void Decode(List<string> tokens);
}
