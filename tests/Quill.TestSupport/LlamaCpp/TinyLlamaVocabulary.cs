// The small SentencePiece-style vocabulary of the tiny test Llama; not a trained vocabulary.
namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// A llama-style ("llama" tokenizer model, SentencePiece) vocabulary: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens
/// &lt;0x00&gt;..&lt;0xFF&gt;, single characters, and a few merge chains so that "Hello world" becomes
/// [▁Hello, ▁world]. Every intermediate of a chain is in the vocabulary, because SentencePiece merges two adjacent
/// pieces only when their concatenation is a token. Scores are -index, as SentencePiece lists frequent pieces first.
/// </summary>
public static class TinyLlamaVocabulary
{
    /// <summary>SentencePiece's visible space, U+2581.</summary>
    public const string Space = "\u2581";

    public const int UnknownId = 0;
    public const int BosId = 1;
    public const int EosId = 2;
    public const int FirstByteId = 3;

    /// <summary>GGUF tokenizer.ggml.token_type values (llama.cpp's llama_token_type).</summary>
    public const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    private static readonly string[] Merges =
    [
        "He", "ll", "llo", "Hello", Space + "Hello",
        "or", "ld", "wor", "world", Space + "world",
        "th", "the", Space + "the", "in", Space + "in", Space + "a",
    ];

    private const string Characters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-:;";

    /// <summary>The token strings, by id.</summary>
    public static IReadOnlyList<string> Tokens { get; } = BuildTokens();

    /// <summary>tokenizer.ggml.scores, by id.</summary>
    public static IReadOnlyList<float> Scores { get; } = Enumerable.Range(0, Tokens.Count).Select(i => i < FirstByteId + 256 ? 0f : -(float)i).ToArray();

    /// <summary>tokenizer.ggml.token_type, by id.</summary>
    public static IReadOnlyList<int> Types { get; } = Enumerable.Range(0, Tokens.Count).Select(TypeOf).ToArray();

    public static int Count => Tokens.Count;

    /// <summary>The id of a token string; throws when it is not in the vocabulary.</summary>
    public static int IdOf(string token)
    {
        int id = Tokens.ToList().IndexOf(token);
        return id >= 0 ? id : throw new KeyNotFoundException($"tiny llama vocabulary: no token '{token}'");
    }

    private static int TypeOf(int id) => id switch
    {
        UnknownId => TypeUnknown,
        BosId or EosId => TypeControl,
        < FirstByteId + 256 => TypeByte,
        _ => TypeNormal,
    };

    private static string[] BuildTokens()
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        for (int b = 0; b < 256; b++) tokens.Add($"<0x{b:X2}>");
        tokens.Add(Space);
        foreach (char c in Characters) tokens.Add(c.ToString());
        tokens.AddRange(Merges);
        return [.. tokens];
    }
}
