// Loading tokenizer.ggml.* from a GGUF file written with GgufWriter, llama.cpp defaults included; not GGUF parsing itself.
using Quill.Formats.Gguf;
using static Quill.Tokenizers.Tests.TestVocabularies;

namespace Quill.Tokenizers.Tests.Loaders;

public sealed class GgufTokenizerLoaderLoadTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "quill-tokenizers-" + Guid.NewGuid().ToString("N"));

    public GgufTokenizerLoaderLoadTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private GgufFile Write(GgufVocabulary v, Action<GgufWriter>? extra = null, bool withIds = true)
    {
        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.Set("tokenizer.ggml.model", v.Model);
        if (v.Pre is not null) writer.Set("tokenizer.ggml.pre", v.Pre);
        writer.Set("tokenizer.ggml.tokens", v.Tokens);
        if (v.Scores is not null) writer.Set("tokenizer.ggml.scores", v.Scores);
        if (v.TokenTypes is not null) writer.Set("tokenizer.ggml.token_type", v.TokenTypes);
        if (v.Merges is not null) writer.Set("tokenizer.ggml.merges", v.Merges);
        if (withIds)
        {
            writer.Set("tokenizer.ggml.bos_token_id", (uint)v.BosId);
            writer.Set("tokenizer.ggml.eos_token_id", (uint)v.EosId);
        }
        extra?.Invoke(writer);
        string path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".gguf");
        writer.WriteTo(path);
        return GgufFile.Open(path);
    }

    [Fact]
    public void SentencePiece_DefaultsAddBosAndSpacePrefix()
    {
        using GgufFile file = Write(SentencePiece(), withIds: false);
        ITokenizer tokenizer = GgufTokenizerLoader.Load(file);
        Assert.Equal([Bos, Sp("▁hello"), Sp("▁world")], tokenizer.Encode("hello world"));
        Assert.Equal(Bos, tokenizer.BosId);
        Assert.Equal(Eos, tokenizer.EosId);
    }

    [Fact]
    public void SentencePiece_FlagsFromTheFile()
    {
        using GgufFile file = Write(SentencePiece(), w =>
        {
            w.Set("tokenizer.ggml.add_bos_token", false);
            w.Set("tokenizer.ggml.add_eos_token", true);
            w.Set("tokenizer.ggml.add_space_prefix", false);
        });
        ITokenizer tokenizer = GgufTokenizerLoader.Load(file);
        Assert.Equal([Sp("hello"), Sp("▁world"), Eos], tokenizer.Encode("hello world"));
    }

    [Fact]
    public void ByteLevel_LoadsMergesAndIds()
    {
        using GgufFile file = Write(ByteLevel(), w => w.Set("tokenizer.ggml.eot_token_id", (uint)Bl("Meg")));
        ITokenizer tokenizer = GgufTokenizerLoader.Load(file);
        Assert.Equal([Bl("Meg"), Bl("atron"), Bl("Ġloves")], tokenizer.Encode("Megatron loves"));
        Assert.Equal(EndOfText, tokenizer.EosId);
        Assert.True(tokenizer.IsEndOfGeneration(Bl("Meg")));
    }

    [Fact]
    public void ByteLevel_Llama3Pre_AddsBosByDefault()
    {
        using GgufFile file = Write(ByteLevel("llama-bpe"));
        Assert.Equal([EndOfText, Bl("Meg")], GgufTokenizerLoader.Load(file).Encode("Meg"));
    }

    [Fact]
    public void ReadVocabulary_IgnoresIdsOutsideTheVocabulary()
    {
        using GgufFile file = Write(SentencePiece(), w => w.Set("tokenizer.ggml.padding_token_id", 999_999u), withIds: false);
        GgufVocabulary v = GgufTokenizerLoader.ReadVocabulary(file);
        Assert.Equal(-1, v.PaddingId);
        Assert.Equal(Bos, v.BosId);
    }

    [Fact]
    public void IntegerScores_AreAccepted()
    {
        GgufVocabulary v = SentencePiece();
        using GgufFile file = Write(v with { Scores = null }, w => w.Set("tokenizer.ggml.scores", v.Scores!.Select(s => (int)MathF.Round(s * 2)).ToArray()));
        Assert.Equal([Bos, Sp("▁hello"), Sp("▁world")], GgufTokenizerLoader.Load(file).Encode("hello world"));
    }

    [Fact]
    public void UnsupportedModel_Throws()
    {
        using GgufFile file = Write(SentencePiece() with { Model = "bert" });
        var e = Assert.Throws<InvalidDataException>(() => GgufTokenizerLoader.Load(file));
        Assert.Contains("bert", e.Message);
        Assert.Contains(file.Path, e.Message);
    }
}
