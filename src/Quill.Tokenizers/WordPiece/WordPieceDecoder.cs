// The WordPiece decoder: joins "##" continuations to the word before, spaces between words.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's WordPiece decoder: each token after the first either starts with the prefix, which is removed (it
/// continues the word), or gets a leading space. With <c>cleanup</c>, each token then goes through
/// clean_up_tokenization (" ." → ".", " n't" → "n't", ...), as tokenizers.js and transformers do.
/// </summary>
public sealed class WordPieceDecoder : ITokenDecoder
{
    public WordPieceDecoder(string prefix = "##", bool cleanup = true)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        Cleanup = cleanup;
    }

    public string Prefix { get; }

    public bool Cleanup { get; }

    public void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (i > 0)
            {
                token = Prefix.Length > 0 && token.StartsWith(Prefix, StringComparison.Ordinal) ? token[Prefix.Length..] : " " + token;
            }
            if (Cleanup) token = CleanUp(token);
            tokens[i] = token;
        }
    }

    /// <summary>transformers' clean_up_tokenization.</summary>
    internal static string CleanUp(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}
