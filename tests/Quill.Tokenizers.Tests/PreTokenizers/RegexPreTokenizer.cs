// The pre-tokenizer patterns as .NET regexes, the slow reference the scanners are tested against; not shipped code.
using System.Text.RegularExpressions;

namespace Quill.Tokenizers.Tests.PreTokenizers;

/// <summary>
/// Splits like <c>unicode_regex_split</c>: each pattern's matches and the gaps between them become words, and each
/// pattern further splits the words of the one before. Only right for text in the Basic Multilingual Plane (.NET
/// regexes see surrogate halves, not codepoints).
/// </summary>
internal static class RegexPreTokenizer
{
    public static readonly Regex[] Gpt2 =
        [new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")];

    public static readonly Regex[] Llama3 =
        [new(@"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*" +
            @"|\s*[\r\n]+|\s+(?!\S)|\s+")];

    public static readonly Regex[] Qwen2 =
        [new(@"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")];

    public static readonly Regex[] Default =
    [
        new(@"[\p{P}\$\+<=>\^~\|]+"),
        Gpt2[0],
        new(@"\p{N}+"),
        new(@"[0-9][0-9][0-9]"),
    ];

    public static List<string> Split(string text, Regex[] patterns)
    {
        var words = new List<string> { text };
        foreach (Regex pattern in patterns)
        {
            var next = new List<string>();
            foreach (string word in words)
            {
                int end = 0;
                foreach (Match match in pattern.Matches(word))
                {
                    if (match.Index > end) next.Add(word[end..match.Index]);
                    next.Add(match.Value);
                    end = match.Index + match.Length;
                }
                if (end < word.Length) next.Add(word[end..]);
            }
            words = next;
        }
        return words;
    }
}
