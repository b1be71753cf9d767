// The hand-written tiktoken split scanners against .NET Regex running Microsoft.ML.Tokenizers' own patterns; not BPE.
using System.Text;
using System.Text.RegularExpressions;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Tests.Tiktoken;

public sealed class TiktokenWordScannerTests
{
    private const int RandomCases = 3000;

    // Copied from Microsoft.ML.Tokenizers 2.0.1's RegexPreTokenizer (read by reflection while writing these tests).
    private static readonly Regex Gpt2Regex = new(@"'(?:[sdmt]|ll|ve|re)| ?(?>\p{L}+)| ?(?>\p{N}+)| ?(?>[^\s\p{L}\p{N}]+)|(?>\s+)$|\s+(?!\S)|\s");
    private static readonly Regex Cl100kRegex =
        new(@"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)|(?>\s+)$|\s*[\r\n]|\s+(?!\S)|\s");
    private static readonly Regex O200kRegex = new(
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+");

    private static readonly string[] Alphabet =
    [
        "a", "b", "Z", "Q", "s", "S", "t", "T", "l", "L", "e", "E", "r", "v", "m", "d", "'", "'", " ", " ", " ", "\n", "\r", "\t",
        "/", "0", "7", "٣", "²", "Ⅻ", ".", ",", "!", "$", "<", "é", "É", "ǅ", "ʰ", "ж", "Ж", "中", "ا", "\u0301", "\u0903", "\u20DD",
        "\u00A0", "\u3000", "\u2028", "😀", "𝐀", "ß", "ſ", "K", "<|endoftext|>",
    ];

    public static TheoryData<string> Patterns => ["gpt2", "cl100k", "o200k"];

    [Theory]
    [MemberData(nameof(Patterns))]
    public void RandomStrings_SplitAsTheRegexDoes(string pattern)
    {
        var random = new Random(42);
        for (int n = 0; n < RandomCases; n++)
        {
            var text = new StringBuilder();
            int pieces = random.Next(1, 16);
            for (int i = 0; i < pieces; i++) text.Append(Alphabet[random.Next(Alphabet.Length)]);
            AssertSameSplit(pattern, text.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void CorpusDocuments_SplitAsTheRegexDoes(string pattern)
    {
        foreach (string document in MixedCorpus.Documents(500)) AssertSameSplit(pattern, document);
    }

    [Theory]
    [InlineData("o200k", "HELLOworld don't DON'T Hello's helloWorld", new[] { "HELLOworld", " don't", " DON'T", " Hello's", " hello", "World" })]
    [InlineData("o200k", "a/b\n/c  \n\n x!\n/", new[] { "a", "/b", "\n", "/c", "  \n\n", " x", "!\n/" })]
    [InlineData("o200k", "1234567 ", new[] { "123", "456", "7", " " })]
    [InlineData("cl100k", "I'M here\n\n  x  ", new[] { "I", "'M", " here", "\n\n", " ", " x", "  " })]
    [InlineData("gpt2", "I'M   here\t!?", new[] { "I", "'", "M", "  ", " here", "\t", "!?" })]
    public void Examples(string pattern, string text, string[] words) => Assert.Equal(words, Split(pattern, text));

    private static void AssertSameSplit(string pattern, string text)
    {
        Regex regex = pattern switch { "gpt2" => Gpt2Regex, "cl100k" => Cl100kRegex, _ => O200kRegex };
        var expected = regex.Matches(text).Select(m => m.Value).ToList();
        Assert.True(expected.Sum(w => w.Length) == text.Length, $"the regex skipped characters of {Escape(text)}");
        List<string> actual = Split(pattern, text);
        if (!expected.SequenceEqual(actual))
            Assert.Fail($"{pattern} on {Escape(text)}:\n  regex   {string.Join(" | ", expected.Select(Escape))}\n  scanner {string.Join(" | ",
                actual.Select(Escape))}");
    }

    private static List<string> Split(string pattern, string text)
    {
        var kind = pattern switch { "gpt2" => TiktokenPattern.Gpt2, "cl100k" => TiktokenPattern.Cl100k, _ => TiktokenPattern.O200k };
        var words = new List<string>();
        for (int pos = 0; pos < text.Length;)
        {
            int end = TiktokenWordScanner.NextWordEnd(kind, text, pos);
            Assert.True(end > pos, $"no progress at {pos} in {Escape(text)}");
            words.Add(text[pos..end]);
            pos = end;
        }
        return words;
    }

    private static string Escape(string s) => "\"" + string.Concat(s.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";
}
