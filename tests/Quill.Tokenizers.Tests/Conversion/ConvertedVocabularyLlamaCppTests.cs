// Ids and detokenized text of GGUF vocabularies converted from real tokenizer.json files, against llama.cpp itself.
using System.Text;
using Quill.TestSupport.Corpora;
using Quill.TestSupport.LlamaCpp;
using Quill.Tokenizers.Conversion;

namespace Quill.Tokenizers.Tests.Conversion;

/// <summary>
/// The oracle is llama.cpp (LLamaSharp) loading the same converted file: where llama.cpp and Hugging Face differ,
/// llama.cpp wins here. Each text is encoded under one of the four (add_special, parse_special) settings in turn.
/// </summary>
public sealed class ConvertedVocabularyLlamaCppTests
{
    private const int Documents = 2000;
    private const int CorpusBytes = 1 << 20;
    private const int ChunkChars = 4096;
    private const int ShownFailures = 8;

    private static readonly Lazy<string[]> DocumentTexts = new(() => MixedCorpus.Documents(Documents));
    private static readonly Lazy<string[]> CorpusChunks = new(() => Chunks(MixedCorpus.Generate(CorpusBytes), ChunkChars));

    public static TheoryData<string, SentencePieceScores> Vocabularies => new()
    {
        { "llama2", SentencePieceScores.MergeRank },
        { "llama2", SentencePieceScores.Constant },
        { "llama3", SentencePieceScores.MergeRank },
        { "qwen3", SentencePieceScores.MergeRank },
        { "gemma3", SentencePieceScores.MergeRank },
        { "gemma3", SentencePieceScores.Constant },
    };

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Documents_SameIdsAndTextAsLlamaCpp(string family, SentencePieceScores scores) =>
        AssertSameAsLlamaCpp(ConvertedVocabularies.Get(family, scores), DocumentTexts.Value);

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void MegabyteCorpus_SameIdsAndTextAsLlamaCpp(string family, SentencePieceScores scores) =>
        AssertSameAsLlamaCpp(ConvertedVocabularies.Get(family, scores), CorpusChunks.Value);

    private static void AssertSameAsLlamaCpp(ConvertedVocabularies.Converted converted, string[] texts)
    {
        var failures = new List<string>();
        for (int i = 0; i < texts.Length && failures.Count < ShownFailures; i++)
        {
            string text = texts[i];
            bool addSpecial = (i & 1) == 0, parseSpecial = (i & 2) == 0;
            int[] expected = LlamaCppReference.Tokenize(converted.Path, text, addSpecial, parseSpecial);
            int[] actual = converted.Tokenizer.Encode(text, addSpecial, parseSpecial);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                failures.Add($"ids of text {i} (add={addSpecial}, parse={parseSpecial}) differ at {FirstDifference(expected, actual)}: "
                    + $"llama.cpp [{Window(expected, actual)}] quill [{Window(actual, expected)}] in \"{Escape(text, 120)}\"");
                continue;
            }
            string expectedText = LlamaCppReference.Detokenize(converted.Path, expected);
            string actualText = converted.Tokenizer.Decode(expected);
            if (expectedText != actualText)
            {
                failures.Add($"text of {i} differs: llama.cpp \"{Escape(expectedText, 120)}\" quill \"{Escape(actualText, 120)}\"");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string[] Chunks(string text, int size)
    {
        var chunks = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = Math.Min(start + size, text.Length);
            if (end < text.Length && char.IsLowSurrogate(text[end])) end++;
            chunks.Add(text[start..end]);
            start = end;
        }
        return [.. chunks];
    }

    private static int FirstDifference(int[] a, int[] b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        return i;
    }

    private static string Window(int[] ids, int[] other)
    {
        int at = FirstDifference(ids, other);
        return string.Join(",", ids.Skip(Math.Max(0, at - 2)).Take(8));
    }

    private static string Escape(string text, int max)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > max ? text[..max] : text)
        {
            builder.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", < ' ' => $"\\u{(int)c:x4}", _ => c.ToString() });
        }
        return builder.ToString();
    }
}
