// Hugging Face's ByteLevel post-processor (offset trimming) and RobertaProcessing (<s> … </s> with the same trimming); adds no ids for ByteLevel.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PostProcessors;

/// <summary>
/// With trim_offsets, a token's offsets leave out the spaces ('Ġ' or whitespace) its text starts or ends with, except
/// the one prefix space of the first token when add_prefix_space put it there (Hugging Face's
/// <c>process_offsets</c>). The ids are left as they are.
/// </summary>
internal sealed class ByteLevelPostProcessor(bool trimOffsets, bool addPrefixSpace, Func<int, string?> tokenText) : IPostProcessor
{
    public bool TrimOffsets { get; } = trimOffsets;

    public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
    {
        if (TrimOffsets) Trim(tokens, 0, tokens.Count, addPrefixSpace, tokenText);
    }

    internal static void Trim(TokenBuffer tokens, int from, int to, bool addPrefixSpace, Func<int, string?> tokenText)
    {
        for (int i = from; i < to; i++)
        {
            string? token = tokenText(tokens.Ids[i]);
            if (string.IsNullOrEmpty(token)) continue;
            int leading = 0;
            while (leading < token.Length && IsSpace(token[leading])) leading++;
            int trailing = 0;
            while (trailing < token.Length && IsSpace(token[token.Length - 1 - trailing])) trailing++;
            int start = tokens.Starts[i], end = tokens.Ends[i];
            if (leading > 0)
            {
                bool isFirst = i == from || start == 0;
                if (isFirst && addPrefixSpace && leading == 1) leading = 0;
                start = Math.Min(start + leading, end);
            }
            if (trailing > 0 && end >= trailing) end = Math.Max(end - trailing, start);
            tokens.SetOffsets(i, start, end);
        }
    }

    private static bool IsSpace(char c) => c == 'Ġ' || char.IsWhiteSpace(c);
}

/// <summary>RoBERTa: &lt;s&gt; A &lt;/s&gt; for a single sequence, offsets trimmed as <see cref="ByteLevelPostProcessor"/>.</summary>
internal sealed class RobertaPostProcessor(int clsId, int sepId, bool trimOffsets, bool addPrefixSpace, Func<int, string?> tokenText) : IPostProcessor
{
    public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
    {
        if (trimOffsets) ByteLevelPostProcessor.Trim(tokens, 0, tokens.Count, addPrefixSpace, tokenText);
        if (!addSpecial) return;
        tokens.Insert(0, clsId, 0, 0);
        tokens.Add(sepId, 0, 0);
    }
}
