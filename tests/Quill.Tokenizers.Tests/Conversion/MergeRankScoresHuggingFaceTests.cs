// Why MergeRank is the default: llama.cpp on a converted SentencePiece vocabulary then splits plain text as Hugging Face does.
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Conversion;

namespace Quill.Tokenizers.Tests.Conversion;

/// <summary>
/// Plain text (no special-token look-alikes, nothing Hugging Face normalizes differently from llama.cpp): with
/// <see cref="SentencePieceScores.MergeRank"/> the converted vocabulary gives Hugging Face's ids (tokenizers.js as the
/// oracle). Checked through our tokenizer, which the llama.cpp tests show to be identical to llama.cpp on these files.
/// </summary>
public sealed class MergeRankScoresHuggingFaceTests
{
    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.", "Megatron loves only himself", "I'm sure they'll say we've done it, isn't it?",
        "public static int Main(string[] args) { return args.Length > 0 ? 1 : 0; }", "def f(x):\n    return x ** 2  # square",
        "Tokenization, embedding, transformer and attention.", "pneumonoultramicroscopicsilicovolcanoconiosis", "Привет, мир!",
        "自然言語処理は面白いです。", "café naïve résumé", "12.0*12=144 and 3.14159265358979", "  leading and trailing   ",
    ];

    [Theory]
    [InlineData("llama2")]
    [InlineData("gemma3")]
    public void PlainText_SameIdsAsHuggingFace(string family)
    {
        ITokenizer ours = ConvertedVocabularies.Get(family, SentencePieceScores.MergeRank).Tokenizer;
        (int[][] expected, _, _) = NodeOracle.Tokenize(JsonValue.Create(NodeOracle.LenmlTokenizerJson(family)),
            JsonValue.Create(NodeOracle.LenmlTokenizerConfig(family)), Texts, addSpecialTokens: true);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(ours.Encode(Texts[i])),
                $"'{Texts[i]}': Hugging Face [{string.Join(",", expected[i])}], converted [{string.Join(",", ours.Encode(Texts[i]))}]");
        }
    }
}
