// TiktokenTokenizer's behaviour: known ids, token spellings, specials, offsets, spans, odd input, streaming, allocation.
using System.Text;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Tiktoken;

namespace Quill.Tokenizers.Tests.Tiktoken;

public sealed class TiktokenTokenizerTests
{
    private const int TenMegabytes = 10 << 20;

    public static TheoryData<string> Encodings => ["gpt2", "r50k_base", "cl100k_base", "o200k_base"];

    private static TiktokenTokenizer Gpt2 => TiktokenTokenizer.BuiltIn("gpt2");

    [Fact]
    public void Gpt2_Megatron_KnownIdsAndTokens()
    {
        const string Text = "Megatron loves only himself";
        Assert.Equal([42672, 23484, 10408, 691, 2241], Gpt2.Encode(Text));
        Assert.Equal(["Meg", "atron", "Ġloves", "Ġonly", "Ġhimself"], Gpt2.Encode(Text).Select(Gpt2.TokenText));
        Assert.Equal(10408, Gpt2.TokenToId("Ġloves"));
        Assert.Equal(Text, Gpt2.Decode(Gpt2.Encode(Text)));
    }

    [Theory]
    [InlineData("gpt2", "<|endoftext|>", 50256, 50257)]
    [InlineData("r50k_base", "<|endoftext|>", 50256, 50257)]
    [InlineData("cl100k_base", "<|endoftext|>", 100257, 100277)]
    [InlineData("cl100k_base", "<|fim_prefix|>", 100258, 100277)]
    [InlineData("cl100k_base", "<|fim_middle|>", 100259, 100277)]
    [InlineData("cl100k_base", "<|fim_suffix|>", 100260, 100277)]
    [InlineData("cl100k_base", "<|endofprompt|>", 100276, 100277)]
    [InlineData("o200k_base", "<|endoftext|>", 199999, 200019)]
    [InlineData("o200k_base", "<|endofprompt|>", 200018, 200019)]
    public void SpecialTokens_ParsedOnlyWhenAsked(string encoding, string special, int id, int vocabSize)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
        Assert.Equal(id, tokenizer.TokenToId(special));
        Assert.Equal(special, tokenizer.TokenText(id));
        Assert.True(tokenizer.IsSpecial(id));
        Assert.Equal([id], tokenizer.Encode(special, parseSpecial: true));
        int[] asText = tokenizer.Encode(special, parseSpecial: false);
        Assert.DoesNotContain(id, asText);
        Assert.Equal(special, tokenizer.Decode(asText));
        Assert.Equal("ab", tokenizer.Decode(tokenizer.Encode("a" + special + "b", parseSpecial: true), skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void EndOfText_IsEosAndEndsGeneration_NoBos_AddSpecialAddsNothing(string encoding)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
        Assert.Equal(tokenizer.TokenToId("<|endoftext|>"), tokenizer.EosId);
        Assert.True(tokenizer.IsEndOfGeneration(tokenizer.EosId));
        Assert.False(tokenizer.IsEndOfGeneration(0));
        Assert.Equal(-1, tokenizer.BosId);
        Assert.Equal(tokenizer.Encode("hello world", addSpecial: false), tokenizer.Encode("hello world", addSpecial: true));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Documents_RoundTripAndOffsetsCoverTheInput(string encoding)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
        foreach (string document in MixedCorpus.Documents(400))
        {
            EncodedToken[] tokens = tokenizer.EncodeWithOffsets(document, parseSpecial: true);
            Assert.Equal(document, tokenizer.Decode(tokens.Select(t => t.Id).ToArray()));
            Assert.Equal(document, tokenizer.Decode(tokenizer.Encode(document, parseSpecial: false)));
            AssertOffsetsCover(document, tokens);
        }
    }

    [Theory]
    [InlineData("😀", 0, 2)]
    [InlineData("a中", 1, 2)]
    [InlineData("👨‍👩‍👧", 0, 2)]
    public void PartialCharacterTokens_GetTheWholeCharacter(string text, int start, int end)
    {
        EncodedToken[] tokens = Gpt2.EncodeWithOffsets(text);
        Assert.True(tokens.Length > 1 || text.Length == 1);
        EncodedToken last = tokens.First(t => t.End > start);
        Assert.Equal((start, end), (last.Start, last.End));
        AssertOffsetsCover(text, tokens);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void EncodeTo_ShortSpan_ReturnsFullCountAndWritesPrefix(string encoding)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
        const string Text = "The quick brown fox jumps over the lazy dog, 12345 times!";
        int[] all = tokenizer.Encode(Text);
        Span<int> destination = stackalloc int[3];
        Assert.Equal(all.Length, tokenizer.EncodeTo(Text, destination));
        Assert.Equal(all[..3], destination.ToArray());
        Assert.Equal(all.Length, tokenizer.CountTokens(Text));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void WarmEncodeToAndCount_AllocateNothing(string encoding)
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
        string text = MixedCorpus.Generate(16 << 10, seed: 3);
        int[] destination = new int[text.Length];
        tokenizer.EncodeTo(text, destination, parseSpecial: true);
        tokenizer.CountTokens(text);
        long before = GC.GetAllocatedBytesForCurrentThread();
        tokenizer.EncodeTo(text, destination, parseSpecial: true);
        tokenizer.CountTokens(text);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("a\uD800b")]
    [InlineData("\uDC00")]
    [InlineData("x\uDBFF")]
    [InlineData("\uDC00\uD800 \uD83D")]
    public void LoneSurrogates_EncodeAsReplacementCharacter(string text)
    {
        foreach (string encoding in new[] { "gpt2", "cl100k_base", "o200k_base" })
        {
            TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
            EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text);
            string expected = new(text.Select(c => char.IsSurrogate(c) ? '\uFFFD' : c).ToArray());
            Assert.Equal(expected, tokenizer.Decode(tokens.Select(t => t.Id).ToArray()));
            AssertOffsetsCover(text, tokens);
        }
    }

    [Fact]
    public void EmptyText_NoTokens()
    {
        Assert.Empty(Gpt2.Encode(""));
        Assert.Equal(0, Gpt2.CountTokens(""));
        Assert.Equal("", Gpt2.Decode([]));
    }

    [Fact]
    public void TenMegabytes_EncodeAndRoundTrip()
    {
        string corpus = MixedCorpus.Generate(1 << 20, seed: 9);
        var text = new StringBuilder(TenMegabytes + corpus.Length);
        while (text.Length < TenMegabytes / 2) text.Append(corpus);
        text.Append('a', TenMegabytes / 8).Append(' ', 1000).Append("😀", 0, 2);
        string big = text.ToString();
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn("cl100k_base");
        int[] ids = tokenizer.Encode(big);
        Assert.Equal(big, tokenizer.Decode(ids));
    }

    [Fact]
    public void LongWord_HeapMergeEqualsScanMerge()
    {
        TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn("cl100k_base");
        var random = new Random(5);
        string text = string.Concat(Enumerable.Range(0, 3000).Select(_ => (char)('a' + random.Next(4))));
        int[] whole = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(whole));
        Assert.True(text.Length > BytePairMerger.ShortWordBytes);
    }

    [Theory]
    [InlineData("自然言語処理は面白いです。我愛 🤗 👨‍👩‍👧‍👦 🏳️‍🌈 नमस्ते")]
    [InlineData("😀😃😄😁✨🚀🔥 e\u0301 ﬁ")]
    public void StreamDecode_EqualsOneShotDecode(string text)
    {
        foreach (string encoding in new[] { "gpt2", "cl100k_base", "o200k_base" })
        {
            TiktokenTokenizer tokenizer = TiktokenTokenizer.BuiltIn(encoding);
            int[] ids = tokenizer.Encode(text);
            TokenStreamDecoder stream = tokenizer.CreateStreamDecoder();
            var streamed = new StringBuilder();
            foreach (int id in ids)
            {
                string piece = stream.Add(id);
                Assert.DoesNotContain('\uFFFD', piece);
                streamed.Append(piece);
            }
            streamed.Append(stream.Flush());
            Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
        }
    }

    [Fact]
    public void TokenBytesAndText_OfByteTokens()
    {
        int space = Gpt2.TokenToId("Ġ");
        Assert.Equal([(byte)' '], Gpt2.TokenBytes(space));
        Assert.Equal("Ġ", Gpt2.TokenText(space));
        Assert.Equal(-1, Gpt2.TokenToId("not a token at all, surely"));
        Assert.Equal(-1, Gpt2.TokenToId("€")); // outside the byte-level alphabet
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.TokenText(Gpt2.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => TiktokenTokenizer.BuiltIn("cl100k_base").Decode([100256]));
    }

    [Fact]
    public void BuiltIn_IsCachedAndUnknownNamesThrow()
    {
        Assert.Same(TiktokenTokenizer.BuiltIn("cl100k_base"), TiktokenTokenizer.BuiltIn("cl100k_base"));
        Assert.Equal(["gpt2", "r50k_base", "cl100k_base", "o200k_base"], TiktokenTokenizer.BuiltInNames);
        Assert.Throws<ArgumentException>(() => TiktokenTokenizer.BuiltIn("p99k_base"));
    }

    private static void AssertOffsetsCover(string text, EncodedToken[] tokens)
    {
        int covered = 0;
        foreach (EncodedToken token in tokens)
        {
            Assert.True(token.Start >= 0 && token.End <= text.Length && token.Start < token.End, $"bad range {token}");
            // Tokens of one character may share its range; otherwise ranges follow each other without gaps.
            Assert.True(token.Start == covered || token.End == covered, $"token {token} after {covered}");
            covered = token.End;
        }
        Assert.Equal(text.Length, covered);
    }
}
