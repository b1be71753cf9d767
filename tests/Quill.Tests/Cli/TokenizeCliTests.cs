// `quill tokenize` end to end: the JSON arrays, the token view, stdin, and its one-line errors.
using System.Text.Json;
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Tests.Models;
using Quill.Tokenizers;

namespace Quill.Tests.Cli;

public sealed class TokenizeCliTests
{
    private static string Model => SyntheticModels.Get(new SyntheticModelOptions { Dim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 300 });

    private static ITokenizer Library()
    {
        using GgufFile file = GgufFile.Open(Model);
        return GgufTokenizerLoader.Load(file);
    }

    [Fact]
    public void IdsAreOneJsonArrayEqualToTheLibrary()
    {
        const string text = "hello world 🤗";
        var r = QuillCli.Run("tokenize", "-t", Model, "--ids", text);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Library().Encode(text), JsonSerializer.Deserialize<int[]>(r.Stdout));
        var noSpecial = QuillCli.Run("tokenize", "-t", Model, "--ids", "--no-special", text);
        Assert.Equal(Library().Encode(text, addSpecial: false), JsonSerializer.Deserialize<int[]>(noSpecial.Stdout));
    }

    [Fact]
    public void TokensAreTheVocabularySpellings()
    {
        ITokenizer tokenizer = Library();
        var r = QuillCli.Run("tokenize", "-t", Model, "--tokens", "hello world");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(tokenizer.Encode("hello world").Select(tokenizer.TokenText), JsonSerializer.Deserialize<string[]>(r.Stdout));
        Assert.Contains("\"▁", r.Stdout); // spellings are printed as they are, not \u-escaped
    }

    [Fact]
    public void ShowMarksBoundariesWithoutColourWhenPiped()
    {
        var r = QuillCli.Run("tokenize", "-t", Model, "--show", "hello world");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("\u001b[", r.Stdout);
        string[] lines = r.Stdout.Split('\n');
        Assert.StartsWith("<s>|", lines[0]);
        Assert.Equal("hello world", lines[0].Replace("<s>", "").Replace("|", ""));
        Assert.Contains(lines, l => l.Contains("tokens,") && l.Contains("11 characters"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith('#') && l.Contains("id") && l.Contains("token"));
    }

    [Fact]
    public void DashReadsTheTextFromStdin()
    {
        const string text = "line one\nline two\n";
        var r = QuillCli.RunWithInput(text, "tokenize", "-t", Model, "--ids", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Library().Encode(text), JsonSerializer.Deserialize<int[]>(r.Stdout));
    }

    [Fact]
    public void CompareShowsEachTokenizerWithItsCount()
    {
        var r = QuillCli.Run("tokenize", "--compare", $"{Model},{Model}", "hello");
        Assert.True(r.ExitCode == 0, r.Stderr);
        int count = Library().Encode("hello").Length;
        Assert.Equal(2, r.Stdout.Split('\n').Count(l => l.EndsWith($": {count} tokens")));
    }

    [Fact]
    public void Gpt2SplitsMegatronAsTheCourseSays()
    {
        var ids = QuillCli.Run("tokenize", "-t", "gpt2", "--ids", "Megatron loves only himself");
        Assert.True(ids.ExitCode == 0, ids.Stderr);
        Assert.Equal([42672, 23484, 10408, 691, 2241], JsonSerializer.Deserialize<int[]>(ids.Stdout)!);
        var tokens = QuillCli.Run("tokenize", "-t", "gpt2", "--tokens", "Megatron loves only himself");
        Assert.Equal(["Meg", "atron", "Ġloves", "Ġonly", "Ġhimself"], JsonSerializer.Deserialize<string[]>(tokens.Stdout)!);
    }

    [Fact]
    public void BertUncasedSplitsTheComparisonTextAsTheCourseSays()
    {
        const string escaped = @"\nMy name is HOLIDAY\n我愛 🤗\n<s> </s> if elif: else: end\n";
        var r = QuillCli.Run("tokenize", "-t", "bert-base-uncased", "--tokens", "-e", escaped);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["[CLS]", "my", "name", "is", "holiday", "我", "愛", "[UNK]", "<", "s", ">", "<", "/", "s", ">", "if", "eli", "##f", ":", "else", ":",
            "end", "[SEP]"],
            JsonSerializer.Deserialize<string[]>(r.Stdout)!);
    }

    [Fact]
    public void TokenizerJsonFilesAreTokenizedAsHuggingFaceDoes()
    {
        string path = Quill.TestSupport.Oracles.NodeOracle.LenmlTokenizerJson("llama3");
        const string text = "Megatron loves only himself";
        int[] expected = Quill.TestSupport.Oracles.NodeOracle.Tokenize(System.Text.Json.Nodes.JsonValue.Create(path), null, [text]).Ids[0];
        var r = QuillCli.Run("tokenize", "-t", path, "--ids", text);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(expected, JsonSerializer.Deserialize<int[]>(r.Stdout)!);
    }

    [Fact]
    public void CompareListsBuiltInsWithTheirCounts()
    {
        const string escaped = @"My name is HOLIDAY\n12.0*12=144";
        var r = QuillCli.Run("tokenize", "--compare", "gpt2,cl100k_base,o200k_base", "-e", escaped);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string unescaped = "My name is HOLIDAY\n12.0*12=144";
        foreach (string name in (string[])["gpt2", "cl100k_base", "o200k_base"])
        {
            int count = TokenizerCatalog.Load(name).Encode(unescaped).Length;
            Assert.Contains($"{name}: {count} tokens", r.Stdout);
        }
    }

    [Fact]
    public void InvalidUtf8OnStdinBecomesReplacementCharacters()
    {
        var r = QuillCli.RunWithBytes([0x61, 0xFF, 0x62, 0xE6, 0x88], "tokenize", "-t", "gpt2", "--ids", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(TokenizerCatalog.Load("gpt2").Encode("a\uFFFDb\uFFFD"), JsonSerializer.Deserialize<int[]>(r.Stdout));
    }

    [Theory]
    [InlineData("no-such-tokenizer", "not a built-in tokenizer")]
    [InlineData("file.unknownext", "no such file")]
    public void BadTokenizerGivesOneLineError(string name, string expected)
    {
        var r = QuillCli.Run("tokenize", "-t", name, "x");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void NotATokenizerFileIsRejected()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-{Guid.NewGuid():N}.bin");
        File.WriteAllText(path, "nothing");
        try
        {
            var r = QuillCli.Run("tokenize", "-t", path, "x");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(path, r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
