// The vocabularies the BERT tests use: bert-base-uncased (built in) and a cased one made from it; not test cases.
using System.Text.Json.Nodes;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.Tests.WordPiece;

/// <summary>
/// The uncased vocabulary is the built-in one. The cased one is made without downloads: the uncased tokens, then the
/// capitalised form of each lower-case word token, then accented letters, so "The", "HOLIDAY"'s pieces and "é" exist.
/// <see cref="TokenizerJson"/> writes the tokenizer.json Hugging Face would save for the same vocabulary.
/// </summary>
internal static class BertVocabularies
{
    private static readonly Lazy<string[]> Uncased = new(() => Tokens(BertTokenizerFactory.BuiltIn("bert-base-uncased")));
    private static readonly Lazy<string[]> Cased = new(MakeCased);
    private static readonly Lazy<PipelineTokenizer> CasedTokenizer = new(() => BertTokenizerFactory.Create(CasedTokens, "cased", lowercase: false));

    public static string[] UncasedTokens => Uncased.Value;

    public static string[] CasedTokens => Cased.Value;

    public static PipelineTokenizer UncasedTokenizer => BertTokenizerFactory.BuiltIn("bert-base-uncased");

    public static PipelineTokenizer Cased_ => CasedTokenizer.Value;

    public static string[] Tokens(PipelineTokenizer tokenizer)
    {
        var model = (WordPieceModel)tokenizer.Parts.Model;
        var tokens = new string[model.VocabSize];
        foreach ((string token, int id) in model.Vocabulary) tokens[id] = token;
        return tokens;
    }

    /// <summary>vocab.txt text for <paramref name="tokens"/>.</summary>
    public static string VocabTxt(IEnumerable<string> tokens) => string.Join('\n', tokens) + "\n";

    public static JsonObject TokenizerJson(string[] tokens, bool lowercase)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var added = new JsonArray();
        foreach (string special in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
        {
            added.Add(new JsonObject
            {
                ["id"] = Array.IndexOf(tokens, special), ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        int cls = Array.IndexOf(tokens, "[CLS]"), sep = Array.IndexOf(tokens, "[SEP]");
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true, ["strip_accents"] = null, ["lowercase"] = lowercase,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "BertProcessing", ["sep"] = new JsonArray("[SEP]", sep), ["cls"] = new JsonArray("[CLS]", cls),
            },
            ["decoder"] = new JsonObject { ["type"] = "WordPiece", ["prefix"] = "##", ["cleanup"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100,
                ["vocab"] = vocab,
            },
        };
    }

    private static string[] MakeCased()
    {
        var tokens = new List<string>(UncasedTokens);
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (string token in UncasedTokens)
        {
            if (token.Length < 2 || !token.All(char.IsAsciiLetterLower)) continue;
            string capital = char.ToUpperInvariant(token[0]) + token[1..];
            if (known.Add(capital)) tokens.Add(capital);
            if (token.Length <= 4 && known.Add(token.ToUpperInvariant())) tokens.Add(token.ToUpperInvariant());
        }
        foreach (string extra in new[] { "é", "É", "ü", "Ö", "##é", "##ï", "##ö", "café", "I", "A", "##S", "##T", "Ё" })
        {
            if (known.Add(extra)) tokens.Add(extra);
        }
        return [.. tokens];
    }
}
