// `quill tokenizer train` end to end: the written files load and agree, and bad corpora or sizes are one-line errors.
using Quill.TestSupport.Corpora;
using Quill.Tokenizers;

namespace Quill.Tests.Cli;

public sealed class TokenizerTrainCliTests
{
    private const int CorpusBytes = 40_000;

    [Fact]
    public void TrainWritesTokenizerJsonAndGgufThatAgree()
    {
        string folder = Directory.CreateTempSubdirectory("quill-tok-train-").FullName;
        try
        {
            string corpus = Path.Combine(folder, "corpus.txt"), more = Path.Combine(folder, "more.txt"), output = Path.Combine(folder, "out");
            File.WriteAllText(corpus, MixedCorpus.Generate(CorpusBytes));
            File.WriteAllText(more, "<|endoftext|>second file 🤗<|im_end|>\n");
            var r = QuillCli.Run("tokenizer", "train", "--vocab", "500", "--special", "<|endoftext|>", "--special", "<|im_end|>",
                "-o", output, corpus, more);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("merges", r.Stderr);
            string json = Path.Combine(output, "tokenizer.json"), gguf = Path.Combine(output, "tokenizer.gguf");
            Assert.True(File.Exists(json) && File.Exists(gguf) && File.Exists(Path.Combine(output, "tokenizer_config.json")));
            ITokenizer fromJson = TokenizerCatalog.Load(json), fromGguf = TokenizerCatalog.Load(gguf);
            Assert.Equal(500, fromJson.VocabSize);
            Assert.Equal(500, fromGguf.VocabSize);
            Assert.Equal(1, fromJson.TokenToId("<|im_end|>"));
            foreach (string text in MixedCorpus.Documents(30, seed: 2))
            {
                int[] ids = fromJson.Encode(text, addSpecial: false);
                Assert.Equal(ids, fromGguf.Encode(text, addSpecial: false));
                Assert.Equal(text, fromJson.Decode(ids));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("missing", "300", "expected a corpus text file, found no such file")]
    [InlineData("empty", "300", "expected text to learn from, found no words")]
    [InlineData("text", "256", "expected at least 257")]
    [InlineData("text", "abc", "")]
    public void BadInputIsOneLineError(string corpusKind, string vocab, string expected)
    {
        string folder = Directory.CreateTempSubdirectory("quill-tok-train-").FullName;
        try
        {
            string corpus = Path.Combine(folder, "corpus.txt");
            if (corpusKind == "empty") File.WriteAllText(corpus, "");
            if (corpusKind == "text") File.WriteAllText(corpus, "some text to learn from");
            var r = QuillCli.Run("tokenizer", "train", "--vocab", vocab, "-o", Path.Combine(folder, "out"), corpus);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
            if (expected.Length > 0) Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(folder, "out", "tokenizer.json")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
