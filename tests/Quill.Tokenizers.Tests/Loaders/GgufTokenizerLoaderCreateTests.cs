// Validation and llama.cpp fix-ups when building a tokenizer from a GgufVocabulary; not encoding behaviour.
using static Quill.Tokenizers.Tests.TestVocabularies;

namespace Quill.Tokenizers.Tests.Loaders;

public class GgufTokenizerLoaderCreateTests
{
    public static TheoryData<string, GgufVocabulary> BrokenVocabularies => new()
    {
        { "scores", SentencePiece() with { Scores = [0f] } },
        { "token_type", SentencePiece() with { TokenTypes = [1, 1] } },
        { "unique", SentencePiece() with { Tokens = ["a", "b", "a"], Scores = null, TokenTypes = null, BosId = 1, EosId = 1, UnknownId = 0 } },
        { "bos_token_id", SentencePiece() with { BosId = -1 } },
        { "eos_token_id", SentencePiece() with { EosId = 100_000 } },
        { "\"bert\"", SentencePiece() with { Model = "bert" } },
        { "merges", ByteLevel() with { Merges = null } },
        { "at least one token", SentencePiece() with { Tokens = [] } },
    };

    [Theory]
    [MemberData(nameof(BrokenVocabularies))]
    public void Inconsistent_ThrowsNamingTheProblem(string mentioned, GgufVocabulary vocabulary)
    {
        var e = Assert.Throws<InvalidDataException>(() => GgufTokenizerLoader.Create(vocabulary));
        Assert.Contains(mentioned, e.Message);
    }

    [Fact]
    public void EmptyTokenText_IsRenamedLikeLlamaCpp()
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(
            new GgufVocabulary("llama", null, ["<unk>", "", "x"], null, null, null, -1, -1, 0, -1, [], false, false, true));
        Assert.Equal("[EMPTY_1]", tokenizer.TokenText(1));
    }

    [Theory]
    [InlineData("<|im_end|>")]
    [InlineData("<|eot_id|>")]
    [InlineData("<end_of_turn>")]
    [InlineData("<|fim_pad|>")]
    public void EndOfTurnLookingTokens_EndGeneration_AndBecomeControl(string text)
    {
        var tokenizer = (GgufTokenizer)GgufTokenizerLoader.Create(ByteLevel("qwen2", (text, Normal)));
        int id = EndOfText + 1;
        Assert.True(tokenizer.IsEndOfGeneration(id));
        Assert.True(tokenizer.GetAttributes(id).HasFlag(TokenAttributes.Control));
        Assert.Contains(id, tokenizer.EndOfGenerationIds);
    }

    [Fact]
    public void ExplicitEndOfGenerationIds_AreKept()
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(SentencePiece() with { EndOfGenerationIds = [Sp("ld")] });
        Assert.True(tokenizer.IsEndOfGeneration(Sp("ld")));
        Assert.True(tokenizer.IsEndOfGeneration(Eos));
    }

    [Fact]
    public void HarmonyEnd_IsNotEndOfGeneration_WhenReturnAndCallAre()
    {
        var tokenizer = (GgufTokenizer)GgufTokenizerLoader.Create(
            ByteLevel("gpt-2", ("<|return|>", Control), ("<|call|>", Control), ("<|end|>", Control)));
        int end = EndOfText + 3;
        Assert.False(tokenizer.IsEndOfGeneration(end));
        Assert.Equal(TokenAttributes.UserDefined, tokenizer.GetAttributes(end));
    }
}
