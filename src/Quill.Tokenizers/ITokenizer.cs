// What every tokenizer offers, whatever its source (GGUF, tokenizer.json, tiktoken, vocab.txt); the pipelines live in Models/, PreTokenizers/, Loaders/.
namespace Quill.Tokenizers;

/// <summary>Maps text to token ids and back. Implementations derive from <see cref="Tokenizer"/>.</summary>
public interface ITokenizer
{
    /// <summary>Number of entries in the vocabulary (added tokens included).</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or -1 when the vocabulary has none.</summary>
    int BosId { get; }

    /// <summary>End-of-sequence id, or -1 when the vocabulary has none.</summary>
    int EosId { get; }

    /// <summary>True for ids that end generation (EOS, EOT, ...).</summary>
    bool IsEndOfGeneration(int id);

    /// <summary>True for special (control) tokens: BOS, EOS, [CLS], &lt;|im_start|&gt;, ...</summary>
    bool IsSpecial(int id);

    /// <summary>
    /// Encodes <paramref name="text"/>. <paramref name="addSpecial"/> adds the tokens the tokenizer's post-processor
    /// adds (BOS, [CLS] … [SEP]); <paramref name="parseSpecial"/> turns special-token strings inside the text (e.g.
    /// "&lt;s&gt;") into their ids instead of tokenizing them as text.
    /// </summary>
    int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>As <see cref="Encode"/>, with each token's range in <paramref name="text"/>.</summary>
    EncodedToken[] EncodeWithOffsets(string text, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>
    /// Encodes into <paramref name="destination"/> without allocating (after warm-up) and returns the number of tokens
    /// the text has; when that is more than the destination holds, only the first destination.Length were written.
    /// </summary>
    int EncodeTo(ReadOnlySpan<char> text, Span<int> destination, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>The number of tokens <see cref="Encode"/> would return.</summary>
    int CountTokens(ReadOnlySpan<char> text, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>The raw bytes one token stands for when decoded alone (UTF-8, possibly a partial character).</summary>
    byte[] TokenBytes(int id);

    /// <summary>The vocabulary's own spelling of a token (e.g. "▁the", "Ġloves", "##s", "&lt;0x0A&gt;").</summary>
    string TokenText(int id);

    /// <summary>The id whose vocabulary spelling is <paramref name="token"/>, or -1.</summary>
    int TokenToId(ReadOnlySpan<char> token);

    /// <summary>Decodes ids to text; invalid UTF-8 becomes U+FFFD.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>Decodes ids to text, leaving special tokens out when <paramref name="skipSpecialTokens"/>.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens);

    /// <summary>A decoder for ids arriving one at a time that holds back a partial character instead of printing U+FFFD.</summary>
    TokenStreamDecoder CreateStreamDecoder(bool skipSpecialTokens = false);
}
