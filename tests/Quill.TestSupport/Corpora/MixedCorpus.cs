// A deterministic multilingual test corpus for tokenizer differential tests; not natural text, and not a benchmark text set.
using System.Text;

namespace Quill.TestSupport.Corpora;

/// <summary>
/// Text that exercises every path of a tokenizer: English prose, source code, CJK, Arabic, Cyrillic, Devanagari, emoji
/// (with ZWJ sequences and skin tones), combining marks (NFC and NFD forms), long runs of spaces, tabs and newlines, digit
/// runs, contractions in several cases, special-token look-alikes and words over 100 characters. The same seed gives the
/// same text.
/// </summary>
public static class MixedCorpus
{
    private static readonly string[] Fragments =
    [
        "The quick brown fox jumps over the lazy dog.", "Megatron loves only himself", "HOLIDAY", "I'm sure they'll say we've done it, isn't it?",
        "SHE'LL WE'VE YOU'RE I'D THEY'RE", "don't", "Don'T", "  leading", "trailing   ", "\n\n\n", "\t\t", "    four spaces", "\r\n",
        "12.0*12=144", "3.14159265358979", "1234567890123", "0x7fffffff", "1,000,000", "٣٤٥٦", "१२३४", "½ ¾ ²",
        "public static int Main(string[] args) { return args.Length > 0 ? 1 : 0; }", "for (int i = 0; i < n; i++) x[i] += y[i];",
        "def f(x):\n    return x ** 2  # square", "<div class=\"a\">&amp;</div>", "SELECT * FROM t WHERE id = 42;", "$ ls -la ~/.config",
        "我愛 🤗", "自然言語処理は面白いです。", "日本語のテキスト、カタカナ、ひらがな", "한국어 문장입니다.", "中文分词测试：北京欢迎你！",
        "مرحبا بالعالم", "اللغة العربية جميلة.", "Привет, мир!", "Ёжик в тумане", "नमस्ते दुनिया", "ภาษาไทย", "Ελληνικά κείμενα",
        "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "😀😃😄😁", "✨🚀🔥", "e\u0301", "é", "n\u0303", "ﬁ ligature", "Å Å", "Ｆｕｌｌｗｉｄｔｈ",
        "<s> </s> if elif: else: end", "[CLS] [SEP] [MASK] [UNK]", "<|endoftext|>", "<|im_start|>user", "<unk>", "<pad>",
        "Two tabs: \"\t\t\" and four spaces: \"    \"", "café naïve résumé coöperate", "Straße ß ẞ", "İstanbul ı", "ǅ ǈ ǋ",
        "ʼn ŉ", "\u00a0non-breaking\u00a0space", "zero\u200bwidth", "soft\u00adhyphen", "\u3000ideographic space", "a\u0000b",
        "control\u0007chars\u001b[0m", "!!!???...", "—–-", "“quotes” ‘single’", "«guillemets»", "@user #hashtag https://example.com/a?b=c",
        "pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious", "x",
    ];

    private static readonly string[] Words =
        ["the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as", "with", "his", "they",
         "I", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what", "all", "were", "we",
         "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how", "their", "if", "will",
         "Tokenization", "embedding", "transformer", "attention", "gradient", "Quill", "llama", "GPT", "BERT", "naïve"];

    /// <summary>About <paramref name="utf8Bytes"/> bytes of mixed text (at least that many).</summary>
    public static string Generate(int utf8Bytes, ulong seed = 1)
    {
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var text = new StringBuilder(utf8Bytes);
        int bytes = 0;
        while (bytes < utf8Bytes)
        {
            string piece = NextPiece(random);
            text.Append(piece);
            bytes += Encoding.UTF8.GetByteCount(piece);
        }
        return text.ToString();
    }

    /// <summary><paramref name="count"/> short documents (a few words to a few hundred characters each) from the same mix.</summary>
    public static string[] Documents(int count, ulong seed = 1)
    {
        var random = new Random(unchecked((int)seed * 31 + 7));
        var documents = new string[count];
        for (int i = 0; i < count; i++)
        {
            var text = new StringBuilder();
            int pieces = 1 + random.Next(random.Next(2) == 0 ? 3 : 20);
            for (int p = 0; p < pieces; p++) text.Append(NextPiece(random));
            documents[i] = text.ToString();
        }
        return documents;
    }

    private static string NextPiece(Random random)
    {
        switch (random.Next(10))
        {
            case < 4:
                var sentence = new StringBuilder();
                int words = 3 + random.Next(15);
                for (int w = 0; w < words; w++)
                {
                    string word = Words[random.Next(Words.Length)];
                    if (random.Next(8) == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
                    if (random.Next(20) == 0) word = word.ToUpperInvariant();
                    sentence.Append(w == 0 ? "" : " ").Append(word);
                }
                return sentence.Append(random.Next(4) switch { 0 => ". ", 1 => ", ", 2 => "!\n", _ => ".\n" }).ToString();
            case < 8:
                return Fragments[random.Next(Fragments.Length)] + (random.Next(3) == 0 ? "\n" : " ");
            case 8:
                return random.Next(5) switch
                {
                    0 => new string(' ', 1 + random.Next(40)),
                    1 => new string('\n', 1 + random.Next(6)),
                    2 => random.NextInt64(0, long.MaxValue).ToString() + " ",
                    3 => new string('\t', 1 + random.Next(4)) + "x",
                    _ => " \n \t \r\n ",
                };
            default:
                var letters = new StringBuilder();
                int length = random.Next(3) == 0 ? 101 + random.Next(30) : 1 + random.Next(12);
                for (int i = 0; i < length; i++) letters.Append((char)('a' + random.Next(26)));
                return letters.Append(' ').ToString();
        }
    }
}
