// Tests of byte-level BPE training: merge order on hand-checked corpora, a naive recounting reference, vocabulary size, round trips, written files; not the
// encoder's own tests.
using System.Text;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Models.Bpe;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.Training;

namespace Quill.Tokenizers.Tests.Training;

public sealed class BpeTrainerTests
{
    private const int CorpusBytes = 60_000;

    private static readonly string[] RoundTripTexts =
    [
        "", "a", " hello world", "Hello, World! 123 4567", "emoji 🤗🎉 and 中文字符 and ünïcödé",
        "tabs\t\tand\n\nnewlines\r\n  spaces   ", "<|endoftext|> in the middle <|endoftext|>", "\u0000\u0001 control \uFFFD",
    ];

    private static TrainedBpe Train(string text, int vocabularySize, int minFrequency = 0, string[]? specials = null)
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions
        {
            VocabularySize = vocabularySize, MinFrequency = minFrequency, SpecialTokens = specials ?? ["<|endoftext|>"],
        });
        trainer.AddText(text);
        return trainer.Train();
    }

    [Theory]
    [InlineData("aaabdaaabac", 2, "a a|a b|aa ab")]
    [InlineData("aaabdaaabac", 0, "a a|a b|aa ab|a c|d aaab|aaab daaab|aaabdaaab ac")]
    [InlineData("ab ab ab", 2, "a b|Ġ ab")]
    [InlineData("aaaa", 0, "a a|aa aa")]
    public void LearnsMergesInExpectedOrder(string text, int minFrequency, string expected)
    {
        TrainedBpe trained = Train(text, 1000, minFrequency);
        Assert.Equal(expected, string.Join("|", trained.Merges.Select(m => $"{m.Left} {m.Right}")));
    }

    [Fact]
    public void MatchesNaiveRecountingReference()
    {
        string text = MixedCorpus.Generate(8_000, seed: 3);
        TrainedBpe trained = Train(text, 256 + 1 + 300, specials: ["<|endoftext|>"]);
        List<(string, string)> expected = NaiveMerges(text, 300);
        Assert.Equal(expected, trained.Merges);
    }

    [Theory]
    [InlineData(257)]
    [InlineData(300)]
    [InlineData(1000)]
    public void VocabularyHasExactlyTheRequestedSize(int size)
    {
        TrainedBpe trained = Train(MixedCorpus.Generate(CorpusBytes), size);
        Assert.Equal(size, trained.Tokens.Count);
        Assert.Equal("<|endoftext|>", trained.Tokens[0]);
        Assert.Equal(size, trained.ToTokenizer().VocabSize);
        Assert.Equal(size, trained.Tokens.Distinct().Count());
    }

    [Fact]
    public void SpecialTokensTakeTheFirstIdsAndEncodeWhole()
    {
        TrainedBpe trained = Train(MixedCorpus.Generate(CorpusBytes), 400, specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        PipelineTokenizer tokenizer = trained.ToTokenizer();
        Assert.Equal(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], trained.Tokens.Take(3));
        Assert.Equal([1, 2, 0], tokenizer.Encode("<|im_start|><|im_end|><|endoftext|>", addSpecial: false, parseSpecial: true));
    }

    [Fact]
    public void TooSmallVocabularyIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new BpeTrainer(new BpeTrainerOptions { VocabularySize = 256 }));
        Assert.Contains("at least 257", error.Message);
    }

    [Fact]
    public void DecodeOfEncodeIsTheText()
    {
        PipelineTokenizer tokenizer = Train(MixedCorpus.Generate(CorpusBytes), 800).ToTokenizer();
        foreach (string text in RoundTripTexts.Concat(MixedCorpus.Documents(50, seed: 9)))
        {
            int[] ids = tokenizer.Encode(text, addSpecial: false);
            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void LearnedMergesShortenTheCorpus()
    {
        string text = MixedCorpus.Generate(CorpusBytes);
        PipelineTokenizer tokenizer = Train(text, 1000).ToTokenizer();
        Assert.True(tokenizer.Encode(text, addSpecial: false).Length * 2 < Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public void SameTextGivesTheSameFile()
    {
        string text = MixedCorpus.Generate(CorpusBytes, seed: 7);
        Assert.Equal(Train(text, 700).ToTokenizerJson(), Train(text, 700).ToTokenizerJson());
    }

    [Fact]
    public void FileInChunksCountsAsTheWholeText()
    {
        string text = MixedCorpus.Generate(3_000_000, seed: 11);
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, text);
            var options = new BpeTrainerOptions { VocabularySize = 300 };
            var fromFile = new BpeTrainer(options);
            fromFile.AddFile(path);
            var fromText = new BpeTrainer(options);
            fromText.AddText(text);
            Assert.Equal(fromText.TotalWords, fromFile.TotalWords);
            Assert.Equal(fromText.DistinctWords, fromFile.DistinctWords);
            Assert.Equal(fromText.Train().Merges, fromFile.Train().Merges);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WrittenFilesLoadAndEncodeAsTheTrainedTokenizer()
    {
        TrainedBpe trained = Train(MixedCorpus.Generate(CorpusBytes), 900);
        string folder = Directory.CreateTempSubdirectory("quill-bpe-").FullName;
        try
        {
            TrainedBpeFiles files = trained.WriteFiles(folder);
            string json = files.TokenizerJson, gguf = files.Gguf;
            PipelineTokenizer expected = trained.ToTokenizer();
            ITokenizer fromJson = TokenizerCatalog.Load(json), fromFolder = TokenizerCatalog.Load(folder), fromGguf = TokenizerCatalog.Load(gguf);
            foreach (string text in RoundTripTexts.Concat(MixedCorpus.Documents(100, seed: 4)))
            {
                int[] ids = expected.Encode(text, addSpecial: false);
                Assert.Equal(ids, fromJson.Encode(text, addSpecial: false));
                Assert.Equal(ids, fromFolder.Encode(text, addSpecial: false));
                Assert.Equal(ids, fromGguf.Encode(text, addSpecial: false));
                Assert.Equal(text, fromJson.Decode(ids));
            }
            Assert.Equal(0, fromGguf.EosId);
            Assert.Equal(0, fromJson.EosId);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Recounts every pair of every word occurrence before each merge: slow, obviously right.</summary>
    private static List<(string, string)> NaiveMerges(string text, int mergeCount)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal) { ["<|endoftext|>"] = 0 };
        var tokens = new List<string> { "<|endoftext|>" };
        foreach (char c in Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.Encode((byte)b)).Order())
        {
            ids[c.ToString()] = tokens.Count;
            tokens.Add(c.ToString());
        }
        var words = new List<List<int>>();
        var lengths = new List<int>();
        Quill.Tokenizers.HuggingFace.PreTokenizers.ScannerSplitPattern.Scan(
            Quill.Tokenizers.HuggingFace.PreTokenizers.KnownSplitRegex.Gpt2, [.. EnumerateCodepoints(text)], lengths);
        int at = 0;
        int[] cps = [.. EnumerateCodepoints(text)];
        foreach (int length in lengths)
        {
            string word = string.Concat(cps.Skip(at).Take(length).Select(char.ConvertFromUtf32));
            at += length;
            words.Add([.. Encoding.UTF8.GetBytes(word).Select(b => ids[ByteLevelAlphabet.Encode(b).ToString()])]);
        }

        var merges = new List<(string, string)>();
        while (merges.Count < mergeCount)
        {
            var counts = new Dictionary<(int, int), int>();
            foreach (List<int> w in words)
            {
                for (int i = 0; i + 1 < w.Count; i++) counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            }
            if (counts.Count == 0) break;
            (int left, int right) = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First().Key;
            string merged = tokens[left] + tokens[right];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = ids[merged] = tokens.Count;
                tokens.Add(merged);
            }
            merges.Add((tokens[left], tokens[right]));
            foreach (List<int> w in words)
            {
                for (int i = 0; i + 1 < w.Count; i++)
                {
                    if (w[i] == left && w[i + 1] == right)
                    {
                        w[i] = newId;
                        w.RemoveAt(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    private static IEnumerable<int> EnumerateCodepoints(string text)
    {
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1) yield return char.ConvertToUtf32(text, i);
    }
}
