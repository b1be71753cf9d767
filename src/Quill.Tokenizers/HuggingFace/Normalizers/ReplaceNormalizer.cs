// Hugging Face's Replace normalizer: every match of a literal or regex becomes the content string.
using Quill.Tokenizers.HuggingFace.PreTokenizers;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

/// <summary>Each char of the replacement is aligned to the whole match it replaces; an empty content deletes the match.</summary>
internal sealed class ReplaceNormalizer(SplitPattern pattern, string content) : INormalizer
{
    [ThreadStatic] private static List<(int Start, int End)>? t_matches;

    public SplitPattern Pattern { get; } = pattern;

    public string Content { get; } = content;

    public void Normalize(NormalizedText text)
    {
        if (text.Length == 0) return;
        if (Pattern is LiteralSplitPattern { Literal.Length: 1 } single && Content.Length == 1)
        {
            ReplaceChar(text, single.Literal[0], Content[0]);
            return;
        }
        List<(int Start, int End)> matches = t_matches ??= [];
        matches.Clear();
        ReadOnlySpan<char> chars = text.Text;
        Pattern.FindMatches(chars, 0, chars.Length, matches);
        if (matches.Count == 0) return;
        text.BeginRewrite();
        int position = 0;
        foreach ((int start, int end) in matches)
        {
            for (; position < start; position++) text.Append(chars[position], position);
            if (end > start)
            {
                foreach (char c in Content) text.Append(c, start, end - 1);
            }
            else
            {
                foreach (char c in Content) text.AppendInserted(c, start);
            }
            position = end;
        }
        for (; position < chars.Length; position++) text.Append(chars[position], position);
        text.EndRewrite();
    }

    private static void ReplaceChar(NormalizedText text, char from, char to)
    {
        ReadOnlySpan<char> chars = text.Text;
        if (!chars.Contains(from)) return;
        text.BeginRewrite();
        for (int i = 0; i < chars.Length; i++) text.Append(chars[i] == from ? to : chars[i], i);
        text.EndRewrite();
    }
}
