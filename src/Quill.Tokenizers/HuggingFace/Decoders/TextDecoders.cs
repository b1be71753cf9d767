// The small string-rewriting decoders of Hugging Face: Replace, Strip, Fuse, Metaspace, BPEDecoder, ByteFallback, Sequence; not ByteLevel.
using System.Text;
using Quill.Tokenizers.HuggingFace.PreTokenizers;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Decoders;

/// <summary>Runs decoders in order over the same token list.</summary>
internal sealed class SequenceDecoder(ITokenDecoder[] stages) : ITokenDecoder
{
    public IReadOnlyList<ITokenDecoder> Stages { get; } = stages;

    public void Decode(List<string> tokens)
    {
        foreach (ITokenDecoder stage in stages) stage.Decode(tokens);
    }
}

/// <summary>Every match of a literal or regex in each token becomes the content.</summary>
internal sealed class ReplaceDecoder(SplitPattern pattern, string content) : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = pattern switch
            {
                LiteralSplitPattern literal => literal.Literal.Length == 0 ? tokens[i] : tokens[i].Replace(literal.Literal, content, StringComparison.Ordinal),
                RegexSplitPattern regex => regex.Regex.Replace(tokens[i], content.Replace("$", "$$", StringComparison.Ordinal)),
                _ => ReplaceMatches(tokens[i]),
            };
        }
    }

    private string ReplaceMatches(string token)
    {
        var matches = new List<(int Start, int End)>();
        pattern.FindMatches(token, 0, token.Length, matches);
        var text = new StringBuilder(token.Length);
        int position = 0;
        foreach ((int start, int end) in matches)
        {
            text.Append(token, position, start - position).Append(content);
            position = end;
        }
        return text.Append(token, position, token.Length - position).ToString();
    }
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one char from each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            int from = 0;
            while (from < start && from < token.Length && token[from] == content) from++;
            int to = token.Length;
            while (token.Length - to < stop && to > from && token[to - 1] == content) to--;
            tokens[i] = token[from..to];
        }
    }
}

/// <summary>Joins all tokens into one.</summary>
internal sealed class FuseDecoder : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        string joined = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(joined);
    }
}

/// <summary>
/// '▁' back to ' '; in the first token, with a prepend scheme other than never, every '▁' is dropped instead
/// (Hugging Face's Rust behaviour).
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (i == 0 && scheme != PrependScheme.Never) tokens[i] = token.Replace(replacement.ToString(), "", StringComparison.Ordinal);
            else tokens[i] = token.Replace(replacement, ' ');
        }
    }
}

/// <summary>BPEDecoder: the end-of-word suffix becomes a space, except in the last token where it is dropped.</summary>
internal sealed class BpeSuffixDecoder(string suffix) : ITokenDecoder
{
    public void Decode(List<string> tokens)
    {
        if (suffix.Length == 0) return;
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = tokens[i].Replace(suffix, i == tokens.Count - 1 ? "" : " ", StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// Runs of &lt;0xXX&gt; tokens become the text of their bytes; a run that is not valid UTF-8 becomes one U+FFFD per
/// byte (Hugging Face's Rust behaviour).
/// </summary>
internal sealed class ByteFallbackDecoder : ITokenDecoder
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public void Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (TryParseByte(token, out byte value))
            {
                bytes.Add(value);
                continue;
            }
            Flush(bytes, result);
            result.Add(token);
        }
        Flush(bytes, result);
        tokens.Clear();
        tokens.AddRange(result);
    }

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0) return;
        try
        {
            result.Add(Strict.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < bytes.Count; i++) result.Add("\uFFFD");
        }
        bytes.Clear();
    }

    private static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}
