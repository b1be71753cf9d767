// vocab.txt reading: good files (casing detected, CRLF) and each malformed case; not tokenization.
using System.Text;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.Tests.WordPiece;

public sealed class BertVocabFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-vocab-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Minimal = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\n,\n";

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "empty", [], "empty file" },
        { "bom-only", [0xEF, 0xBB, 0xBF], "empty file" },
        { "no-unk", Encoding.UTF8.GetBytes("[PAD]\n[CLS]\n[SEP]\nhello\n"), "[UNK]" },
        { "no-cls", Encoding.UTF8.GetBytes("[UNK]\n[SEP]\nhello\n"), "[CLS]" },
        { "no-sep", Encoding.UTF8.GetBytes("[UNK]\n[CLS]\nhello\n"), "[SEP]" },
        { "duplicate", Encoding.UTF8.GetBytes("[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n"), "'hello' again on line 6 (first on line 4)" },
        { "invalid-utf8", [.. Encoding.UTF8.GetBytes("[UNK]\n[CLS]\n[SEP]\nab"), 0xC3, 0x28, (byte)'\n'], "invalid bytes at byte 20 (line 4)" },
        { "huge-line", Encoding.UTF8.GetBytes("[UNK]\n[CLS]\n[SEP]\n" + new string('x', 5000) + "\n"), "found 5000 chars on line 4" },
        { "empty-line", Encoding.UTF8.GetBytes("[UNK]\n\n[CLS]\n[SEP]\n"), "empty line 2" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedVocabFilesGiveOneLineErrors(string name, byte[] content, string problem)
    {
        string path = Path.Combine(_folder, name + ".txt");
        File.WriteAllBytes(path, content);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizerFactory.FromVocabFile(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("\n", "hello worlds,", "[CLS] hello world ##s , [SEP]")]
    [InlineData("\r\n", "Hello WORLDS", "[CLS] hello world ##s [SEP]")]
    public void GoodFilesLoadWithIdsByLine(string newline, string text, string expected)
    {
        string path = Path.Combine(_folder, "vocab.txt");
        File.WriteAllText(path, Minimal.Replace("\n", newline));
        var tokenizer = BertTokenizerFactory.FromVocabFile(path);
        Assert.Equal(expected, string.Join(' ', tokenizer.Encode(text).Select(tokenizer.TokenText)));
        Assert.Equal(5, tokenizer.TokenToId("hello"));
        Assert.True(tokenizer.IsSpecial(2));
        Assert.False(tokenizer.IsSpecial(5));
    }

    [Theory]
    [InlineData(null, "[CLS] [UNK] world [SEP]")]
    [InlineData(true, "[CLS] hello world [SEP]")]
    [InlineData(false, "[CLS] [UNK] world [SEP]")]
    public void CasingIsDetectedFromCapitalisedWords(bool? lowercase, string expected)
    {
        string path = Path.Combine(_folder, "cased.txt");
        File.WriteAllText(path, Minimal + "The\n");
        var tokenizer = BertTokenizerFactory.FromVocabFile(path, lowercase);
        Assert.Equal(expected, string.Join(' ', tokenizer.Encode("HELLO world").Select(tokenizer.TokenText)));
    }

    [Fact]
    public void TheRealUncasedVocabularyIsDetectedAsUncased()
    {
        // bert-base-uncased holds symbols such as "ℝ" that char.IsUpper calls upper case; it must still load uncased.
        var builtIn = BertTokenizerFactory.BuiltIn("bert-base-uncased");
        string path = Path.Combine(_folder, "vocab.txt");
        File.WriteAllLines(path, Enumerable.Range(0, builtIn.VocabSize).Select(builtIn.TokenText));
        var loaded = BertTokenizerFactory.FromVocabFile(path);
        Assert.Equal(builtIn.Encode("The Cat sat on ℝ"), loaded.Encode("The Cat sat on ℝ"));
    }
}
