// The tokenizers the JSON constraint tests walk: bytes, GPT-2 (tiktoken), and synthetic SentencePiece and byte-level vocabularies.
using Quill.Models.Synthetic;
using Quill.Tokenizers;

namespace Quill.Tests.Generation.Constraints;

internal static class JsonTestVocabularies
{
    private static readonly Lazy<ITokenizer> Gpt2Lazy = new(() => TokenizerCatalog.Load("gpt2"));
    private static readonly Lazy<ITokenizer> SentencePieceLazy = new(() => SentencePiece(32000));
    private static readonly Lazy<ITokenizer> ByteLevelLazy = new(() => ByteLevel(50257));

    public static ITokenizer Bytes { get; } = new ByteTokenizer();

    /// <summary>The real GPT-2 vocabulary (50257 tokens, byte-level).</summary>
    public static ITokenizer Gpt2 => Gpt2Lazy.Value;

    /// <summary>A Llama-style 32000-token SentencePiece vocabulary with byte fallback.</summary>
    public static ITokenizer SentencePiece32k => SentencePieceLazy.Value;

    /// <summary>A GPT-2-style 50257-token byte-level vocabulary.</summary>
    public static ITokenizer ByteLevel50k => ByteLevelLazy.Value;

    public static ITokenizer ByName(string name) => name switch
    {
        "bytes" => Bytes,
        "gpt2" => Gpt2,
        "spm32k" => SentencePiece32k,
        "bytelevel50k" => ByteLevel50k,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test vocabulary"),
    };

    public static ITokenizer SentencePiece(int size)
    {
        var (tokens, scores, types) = SyntheticVocabulary.Build(size);
        return GgufTokenizerLoader.Create(new GgufVocabulary(
            "llama", null, tokens, scores, types, null, SyntheticVocabulary.BosId, SyntheticVocabulary.EosId,
            SyntheticVocabulary.UnknownId, -1, [SyntheticVocabulary.EosId], true, false, true));
    }

    public static ITokenizer ByteLevel(int size)
    {
        var (tokens, types, merges) = SyntheticByteLevelVocabulary.Build(size);
        return GgufTokenizerLoader.Create(new GgufVocabulary(
            "gpt2", "gpt2", tokens, null, types, merges, size - 1, size - 1, -1, -1, [size - 1], false, false, false));
    }
}
