// Loading .tiktoken files: the encoding chosen by name, and each kind of malformed file rejected with a one-line error.
using System.Text;
using Quill.Tokenizers.Tiktoken;

namespace Quill.Tokenizers.Tests.Tiktoken;

public sealed class TiktokenFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-tiktoken-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Every single byte at its own rank, plus "ab" (256) and "abc" (257).</summary>
    private static string ValidContent()
    {
        var text = new StringBuilder();
        for (int b = 0; b < 256; b++) text.Append(Convert.ToBase64String([(byte)b])).Append(' ').Append(b).Append('\n');
        text.Append(Convert.ToBase64String("ab"u8)).Append(" 256\n");
        text.Append(Convert.ToBase64String("abc"u8)).Append(" 257\n");
        return text.ToString();
    }

    [Fact]
    public void Load_ValidFile_MergesByRank()
    {
        string path = Write("tiny.tiktoken", ValidContent());
        TiktokenTokenizer tokenizer = TiktokenTokenizer.Load(path);
        Assert.Equal("", tokenizer.EncodingName);
        Assert.Empty(tokenizer.SpecialTokens);
        Assert.Equal([257, 100], tokenizer.Encode("abcd"));
        Assert.Equal(258, tokenizer.VocabSize);
    }

    [Theory]
    [InlineData("cl100k_base.tiktoken", null, "cl100k_base")]
    [InlineData("my-o200k_base.tiktoken", null, "o200k_base")]
    [InlineData("r50k_base.tiktoken", null, "r50k_base")]
    [InlineData("p50k_base.tiktoken", null, "p50k_base")]
    [InlineData("ranks.tiktoken", "gpt2", "gpt2")]
    [InlineData("cl100k_base.tiktoken", "o200k_base", "o200k_base")]
    public void Load_EncodingFromArgumentOrFileName(string fileName, string? encoding, string expected)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.Load(Write(fileName, ValidContent()), encoding);
        Assert.Equal(expected, tokenizer.EncodingName);
        Assert.Contains(tokenizer.SpecialTokens, t => t.Key == "<|endoftext|>");
    }

    [Fact]
    public void Load_UnknownEncodingName_Throws() =>
        Assert.Throws<ArgumentException>(() => TiktokenTokenizer.Load(Write("a.tiktoken", ValidContent()), "nope"));

    [Theory]
    [InlineData("", "on line 1, found an empty file")]
    [InlineData("\n\n", "on line 2, found an empty file")]
    [InlineData("YQ==\n", "on line 1, found 'YQ=='")]
    [InlineData("YQ== 1 2\n", "on line 1, found 'YQ== 1 2'")]
    [InlineData(" 5\n", "on line 1, found ' 5'")]
    [InlineData("YQ== x\n", "on line 1, found rank 'x'")]
    [InlineData("YQ== -3\n", "on line 1, found rank '-3'")]
    [InlineData("YQ== 0\n!!!! 1\n", "on line 2, found invalid base64 '!!!!'")]
    [InlineData("YQ== 0\nYg== 0\n", "on line 2, found rank 0 again (first on line 1)")]
    [InlineData("YQ== 0\nYQ== 1\n", "on line 2, found the token of line 1 again")]
    public void Load_MalformedFile_ThrowsOneLineError(string content, string expected)
    {
        string path = Write("bad.tiktoken", content);
        var error = Assert.Throws<InvalidDataException>(() => TiktokenTokenizer.Load(path));
        Assert.Equal($"{path}: expected '<base64> <rank>' {expected}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Load_MissingSingleByte_Throws()
    {
        string content = ValidContent().Replace(Convert.ToBase64String([(byte)'q']) + " 113\n", "");
        string path = Write("missing.tiktoken", content);
        var error = Assert.Throws<InvalidDataException>(() => TiktokenTokenizer.Load(path));
        Assert.Equal($"{path}: expected a token for every single byte, found none for byte 0x71", error.Message);
    }

    [Fact]
    public void Load_CrLfLineEnds_Accepted()
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.Load(Write("crlf.tiktoken", ValidContent().Replace("\n", "\r\n")));
        Assert.Equal([256], tokenizer.Encode("ab"));
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }
}
