// Word splits of the byte-level pre-tokenizers: hand-checked cases, and random text against the .NET regex reference.
using System.Text;
using System.Text.RegularExpressions;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Tests.PreTokenizers;

public class BpePreTokenizerTests
{
    private const int RandomCases = 400;

    private static List<string> Split(string pre, string text)
    {
        var words = new List<(int Start, int Length)>();
        BpePreTokenizer.TryFor(pre)!.Split(text, words);
        return words.ConvertAll(w => text.Substring(w.Start, w.Length));
    }

    [Theory]
    [InlineData("gpt-2", "Hello world's  test 123 !!", new[] { "Hello", " world", "'s", " ", " test", " 123", " !!" })]
    [InlineData("llama-bpe", "I'm 12345 go\n\n  x", new[] { "I", "'m", " ", "123", "45", " go", "\n\n", " ", " x" })]
    [InlineData("llama-bpe", "DON'T", new[] { "DON", "'T" })]
    [InlineData("qwen2", "a 12345", new[] { "a", " ", "1", "2", "3", "4", "5" })]
    [InlineData("default", "Hello, world! 2024 ab12", new[] { "Hello", ",", " world", "!", " ", "202", "4", " ab", "12" })]
    [InlineData("gpt-2", "😀😀 x", new[] { "😀😀", " x" })]
    public void Splits(string pre, string text, string[] expected)
    {
        Assert.Equal(expected, Split(pre, text));
    }

    [Fact]
    public void Empty_GivesNoWords()
    {
        Assert.Empty(Split("gpt-2", ""));
    }

    public static TheoryData<string> Pres => new() { "gpt-2", "llama-bpe", "qwen2", "default" };

    [Theory]
    [MemberData(nameof(Pres))]
    public void RandomText_MatchesRegexReference(string pre)
    {
        Regex[] patterns = pre switch
        {
            "gpt-2" => RegexPreTokenizer.Gpt2,
            "llama-bpe" => RegexPreTokenizer.Llama3,
            "qwen2" => RegexPreTokenizer.Qwen2,
            _ => RegexPreTokenizer.Default,
        };
        var random = new Random(1234);
        for (int i = 0; i < RandomCases; i++)
        {
            string text = RandomText(random, random.Next(0, 40));
            Assert.True(RegexPreTokenizer.Split(text, patterns).SequenceEqual(Split(pre, text)), $"'{Escape(text)}'");
        }
    }

    // Letters, digits, whitespace (ASCII and not), contractions, punctuation, symbols, marks, CJK, Arabic, format chars.
    private static readonly string[] Alphabet =
    [
        "a", "Z", "s", "S", "t", "l", "L", "e", "r", "v", "m", "d", "'", "'", " ", " ", " ", "\n", "\r", "\t", "\v",
        "0", "7", "9", "٣", "²", "½", ".", ",", "!", "?", "$", "+", "<", "^", "|", "~", "`", "_", "-", "(", "\"",
        "é", "ж", "中", "ا", "\u0301", "\u00A0", "\u3000", "\u2028", "\u0085", "€", "©", "\u200D", "\u001F", "\u00AD",
        "¿", "«", "Ⅻ",
    ];

    private static string RandomText(Random random, int length)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < length; i++) builder.Append(Alphabet[random.Next(Alphabet.Length)]);
        return builder.ToString();
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text) builder.Append(c < 0x20 || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString());
        return builder.ToString();
    }
}
