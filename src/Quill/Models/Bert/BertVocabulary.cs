// A WordPiece vocabulary as vocab.txt spells it, with which ids are special; converts to and from llama.cpp's GGUF form.
using Quill.Tokenizers;
using Quill.Tokenizers.WordPiece;

namespace Quill.Models.Bert;

/// <summary>Tokens by id ("the", "##ing", "[CLS]") and the special ones ([PAD] [UNK] [CLS] [SEP] [MASK]).</summary>
public sealed class BertVocabulary
{
    /// <summary>llama.cpp's token types: NORMAL and CONTROL.</summary>
    public const int NormalType = 1, ControlType = 3;
    private const string WordStart = "\u2581";
    private static readonly HashSet<string> Specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public BertVocabulary(IReadOnlyList<string> tokens, string source)
    {
        Tokens = tokens;
        Source = source;
    }

    public IReadOnlyList<string> Tokens { get; }
    public string Source { get; }

    /// <summary>The vocabulary of a BERT tokenizer (ids 0 … V−1 by their vocab.txt spelling).</summary>
    public static BertVocabulary FromTokenizer(ITokenizer tokenizer, string source)
    {
        var tokens = new string[tokenizer.VocabSize];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = tokenizer.TokenText(i);
        return new BertVocabulary(tokens, source);
    }

    /// <summary>A vocab.txt file; null means the built-in bert-base-uncased.</summary>
    public static BertVocabulary FromVocabFile(string? path) => path is null
        ? FromTokenizer(BertTokenizerFactory.BuiltIn("bert-base-uncased"), "bert-base-uncased")
        : FromTokenizer(BertTokenizerFactory.FromVocabFile(path), path);

    /// <summary>
    /// The BERT pipeline over these tokens; cased when some token starts with an ASCII capital ("The"). Only ASCII
    /// counts: bert-base-uncased holds symbols such as "ℝ" that Unicode calls upper case.
    /// </summary>
    public ITokenizer CreateTokenizer()
    {
        bool cased = Tokens.Any(t => t.Length > 0 && char.IsAsciiLetterUpper(t[0]));
        return BertTokenizerFactory.Create(Tokens, Source, lowercase: !cased);
    }

    /// <summary>
    /// llama.cpp's "phantom space" spelling (convert_hf_to_gguf.py BertModel.set_vocab): control tokens unchanged,
    /// "##x" → "x", any other token t → "▁t"; with the token types NORMAL or CONTROL.
    /// </summary>
    public (string[] Tokens, int[] Types) ToGguf()
    {
        var tokens = new string[Tokens.Count];
        var types = new int[Tokens.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = Tokens[i];
            bool control = Specials.Contains(t);
            types[i] = control ? ControlType : NormalType;
            tokens[i] = control ? t : t.StartsWith("##", StringComparison.Ordinal) ? t[2..] : WordStart + t;
        }
        return (tokens, types);
    }

    /// <summary>The inverse of <see cref="ToGguf"/>.</summary>
    public static BertVocabulary FromGguf(string[] tokens, int[]? types, string source)
    {
        var result = new string[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = tokens[i];
            bool control = types is not null && i < types.Length ? types[i] == ControlType : Specials.Contains(t);
            result[i] = control ? t : t.StartsWith(WordStart, StringComparison.Ordinal) ? t[1..] : "##" + t;
        }
        return new BertVocabulary(result, source);
    }

    /// <summary>The id of a token by its vocab.txt spelling, or -1.</summary>
    public int IdOf(string token)
    {
        for (int i = 0; i < Tokens.Count; i++) if (Tokens[i] == token) return i;
        return -1;
    }
}
