// Token ids of Quill's tiktoken encodings against Microsoft.ML.Tokenizers 2.0.1 (test-only peer) on the mixed corpus.
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Tiktoken;
using Ml = Microsoft.ML.Tokenizers;

namespace Quill.Tokenizers.Tests.Tiktoken;

/// <summary>
/// Microsoft.ML.Tokenizers always turns special-token text into special ids (its pre-tokenizer splits them out), so it
/// is compared with <c>parseSpecial: true</c>; the corpus holds "&lt;|endoftext|&gt;" among its fragments.
/// </summary>
public sealed class TiktokenDifferentialTests
{
    private const int CorpusBytes = 1 << 20;
    private const int DocumentCount = 2000;
    private const int Cl100kGap = 100256; // cl100k_base has no rank 100256

    private static readonly Lazy<string> Corpus = new(() => MixedCorpus.Generate(CorpusBytes));
    private static readonly Lazy<string[]> Documents = new(() => MixedCorpus.Documents(DocumentCount));

    public static TheoryData<string> Encodings => ["gpt2", "r50k_base", "cl100k_base", "o200k_base"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void MegabyteCorpus_SameIdsAsMicrosoftMlTokenizers(string encoding)
    {
        TiktokenTokenizer quill = TiktokenTokenizer.BuiltIn(encoding);
        Ml.TiktokenTokenizer reference = Reference(encoding);
        string text = Corpus.Value;
        AssertSameIds(text, reference.EncodeToIds(text), quill.Encode(text, parseSpecial: true), encoding);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Documents_SameIdsAsMicrosoftMlTokenizers(string encoding)
    {
        TiktokenTokenizer quill = TiktokenTokenizer.BuiltIn(encoding);
        Ml.TiktokenTokenizer reference = Reference(encoding);
        foreach (string document in Documents.Value)
            AssertSameIds(document, reference.EncodeToIds(document), quill.Encode(document, parseSpecial: true), encoding);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Documents_DecodeToTheSameTextAsMicrosoftMlTokenizers(string encoding)
    {
        TiktokenTokenizer quill = TiktokenTokenizer.BuiltIn(encoding);
        Ml.TiktokenTokenizer reference = Reference(encoding);
        foreach (string document in Documents.Value.Take(300))
        {
            int[] ids = quill.Encode(document, parseSpecial: true);
            Assert.Equal(reference.Decode(ids), quill.Decode(ids));
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void SameVocabularyAsMicrosoftMlTokenizers(string encoding)
    {
        TiktokenTokenizer quill = TiktokenTokenizer.BuiltIn(encoding);
        Ml.TiktokenTokenizer reference = Reference(encoding);
        Assert.Equal(reference.SpecialTokens!.OrderBy(t => t.Value), quill.SpecialTokens.OrderBy(t => t.Value));
        var random = new Random(7);
        for (int n = 0; n < 2000; n++)
        {
            int id = random.Next(quill.VocabSize);
            if (quill.IsSpecial(id) || id >= quill.EosId || id == Cl100kGap) continue;
            Assert.Equal(reference.Decode([id]), quill.Decode([id]));
        }
    }

    private static Ml.TiktokenTokenizer Reference(string encoding) => References.GetOrAdd(encoding, static name =>
        name == "gpt2" ? Ml.TiktokenTokenizer.CreateForModel("gpt2") : Ml.TiktokenTokenizer.CreateForEncoding(name));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Ml.TiktokenTokenizer> References = new();

    private static void AssertSameIds(string text, IReadOnlyList<int> expected, int[] actual, string encoding)
    {
        int length = Math.Min(expected.Count, actual.Length);
        int first = 0;
        while (first < length && expected[first] == actual[first]) first++;
        if (first == length && expected.Count == actual.Length) return;
        string context = text.Length > 400 ? "(corpus of " + text.Length + " chars)" : Escape(text);
        Assert.Fail($"{encoding}: ids differ at token {first} of {expected.Count} (Quill has {actual.Length}) in {context}\n" +
                    $"  Microsoft.ML: {string.Join(",", expected.Skip(Math.Max(0, first - 3)).Take(10))}\n" +
                    $"  Quill:        {string.Join(",", actual.Skip(Math.Max(0, first - 3)).Take(10))}\n" +
                    $"  near: {Escape(Near(text, expected, first, encoding))}");
    }

    private static string Near(string text, IReadOnlyList<int> ids, int index, string encoding)
    {
        string before = Reference(encoding).Decode(ids.Take(index));
        int at = Math.Min(before.Length, text.Length);
        return text.Substring(Math.Max(0, at - 40), Math.Min(80, text.Length - Math.Max(0, at - 40)));
    }

    private static string Escape(string s) => "\"" + string.Concat(s.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";
}
