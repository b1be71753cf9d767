// Token ids, pieces and end-of-generation ids against llama.cpp itself (LLamaSharp 0.30) on vocab-only GGUF files.
using System.Text;
using Quill.Formats.Gguf;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tokenizers.Tests.Differential;

/// <summary>
/// Asks llama.cpp through <see cref="LlamaCppReference"/> (vocab-only loads). The vocabularies are
/// trained on the corpus itself (see <see cref="SyntheticVocabularies"/>) so merges actually fire.
/// </summary>
public sealed class LlamaCppTokenizationTests : IDisposable
{
    private const int RandomCases = 300;

    private static readonly string[] Corpus =
    [
        "Hello world! It's a test. I'm sure they'll say we've done it; you'd agree, DON'T you? O'Neil's",
        "def foo(x):\n    return x * 2  # comment\n\n\tif (a && b) { c++; }\r\n",
        "int main() { printf(\"%d\\n\", 12345678); return 0; }",
        "中文测试，你好世界。日本語のテキスト、カタカナ。한국어 텍스트입니다.",
        "مرحبا بالعالم، هذا اختبار. العربية ١٢٣٤٥",
        "Emoji 😀😃🎉 👨‍👩‍👧 flags 🇫🇷 and ❤️ hearts",
        "Combining: é (e\u0301) n\u0303 a\u0308\u0304 z\u0351\u0352\u0353",
        "Whitespace   runs \t\t and\n\n\n newlines  \u00A0nbsp\u3000ideo \u2003em",
        "Digits 1 22 333 4444 55555 666666 3.14159 1,000,000 ²³ ½ Ⅻ",
        "Mixed: naïve café résumé Ελληνικά русский текст ğüşıöç",
        "  leading and trailing spaces   ",
        "<s>special</s> <|endoftext|> <|im_end|> <tool_call> text",
        "a'b 'S 'T 'RE 'VE 'M 'LL 'D '' 's's",
        "1234567890123 $100 +5 <=> ^~| `backtick` @user #tag",
        "\n", " ", "", "x", "  ", "\u00A0", "💩",
    ];

    private static readonly string[] RandomAlphabet =
    [
        "a", "Z", "s", "S", "t", "l", "e", "'", " ", " ", " ", "\n", "\r", "\t", "0", "7", "٣", "²", ".", ",", "!", "$",
        "+", "<", "`", "é", "ж", "中", "ا", "\u0301", "\u00A0", "\u3000", "€", "😀", "👨‍👩‍👧", "<|im_end|>", "<tool_call>",
        "<s>", "hello", "the", "▁", "o▁w",
    ];

    private static readonly string TrainingText = string.Join("\n", Corpus) + "\nthe quick brown fox jumps over the lazy dog hello world";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "quill-tokenizers-diff-" + Guid.NewGuid().ToString("N"));

    public LlamaCppTokenizationTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Vocabularies => new()
    {
        "gpt2/gpt-2", "gpt2/llama-bpe", "gpt2/qwen2", "gpt2/default", "llama/prefix", "llama/no-prefix-cross-word",
    };

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void SameIdsPiecesAndEndOfGeneration(string name)
    {
        GgufVocabulary vocabulary = name switch
        {
            "llama/prefix" => SyntheticVocabularies.SentencePiece(TrainingText, addSpacePrefix: true, crossWordTokens: false),
            "llama/no-prefix-cross-word" => SyntheticVocabularies.SentencePiece(TrainingText, addSpacePrefix: false, crossWordTokens: true),
            _ => SyntheticVocabularies.ByteLevel(TrainingText, name["gpt2/".Length..]),
        };
        string path = Path.Combine(_folder, "vocab.gguf");
        SyntheticVocabularies.WriteGguf(vocabulary, path);

        using GgufFile file = GgufFile.Open(path);
        ITokenizer ours = GgufTokenizerLoader.Load(file);

        var failures = new List<string>();
        var random = new Random(42);
        IEnumerable<(string Text, bool AddSpecial, bool ParseSpecial)> cases =
            Corpus.SelectMany(t => new[] { (t, false, false), (t, true, false), (t, true, true) })
                .Concat(Enumerable.Range(0, RandomCases).Select(_ => (RandomText(random), true, random.Next(2) == 0)));
        foreach ((string text, bool addSpecial, bool parseSpecial) in cases)
        {
            int[] expected = LlamaCppReference.Tokenize(path, text, addSpecial, parseSpecial);
            int[] actual = ours.Encode(text, addSpecial, parseSpecial);
            if (!expected.SequenceEqual(actual))
            {
                failures.Add($"'{text}' special={addSpecial} parse={parseSpecial}: llama.cpp [{string.Join(",", expected)}], quill [{string.Join(",",
                    actual)}]");
            }
        }

        for (int id = 0; id < ours.VocabSize; id++)
        {
            if (!LlamaCppReference.TokenPiece(path, id).AsSpan().SequenceEqual(ours.TokenBytes(id))) failures.Add($"piece of {id} '{ours.TokenText(id)}'");
            if (LlamaCppReference.IsEndOfGeneration(path, id) != ours.IsEndOfGeneration(id)) failures.Add($"end of generation {id} '{ours.TokenText(id)}'");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    private static string RandomText(Random random)
    {
        var builder = new StringBuilder();
        int length = random.Next(0, 30);
        for (int i = 0; i < length; i++) builder.Append(RandomAlphabet[random.Next(RandomAlphabet.Length)]);
        return builder.ToString();
    }
}
