// PipelineTokenizer's plumbing (added tokens, offsets through rewrites, post-processing, decode) with tiny handmade stages.
using System.Text;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.Pipeline;

public sealed class PipelineTokenizerTests
{
    /// <summary>One token per char of a fixed alphabet, id = index; unknown chars become id 0.</summary>
    private sealed class CharModel(string alphabet) : ISubwordModel
    {
        public int VocabSize => alphabet.Length;
        public string? IdToToken(int id) => (uint)id < (uint)alphabet.Length ? alphabet[id].ToString() : null;
        public int TokenToId(ReadOnlySpan<char> token) => token.Length == 1 ? alphabet.IndexOf(token[0]) : -1;
        public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
        {
            for (int i = 0; i < piece.Length; i++) output.Add(Math.Max(0, alphabet.IndexOf(piece[i])), i, i + 1);
        }
    }

    /// <summary>Lower-cases, expands 'ß' to "ss" and drops '-', to move offsets around.</summary>
    private sealed class TestNormalizer : INormalizer
    {
        public void Normalize(NormalizedText text)
        {
            ReadOnlySpan<char> chars = text.Text;
            text.BeginRewrite();
            for (int i = 0; i < chars.Length; i++)
            {
                if (chars[i] == '-') continue;
                if (chars[i] == 'ß') text.Append("ss", i);
                else text.Append(char.ToLowerInvariant(chars[i]), i);
            }
            text.EndRewrite();
        }
    }

    /// <summary>Splits on spaces (dropping them) and prepends '_' to each piece, as Metaspace would.</summary>
    private sealed class TestPreTokenizer : IPreTokenizer
    {
        public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
        {
            var starts = new List<int>();
            ReadOnlySpan<char> chars = text.Text;
            for (int i = 0; i < chars.Length; i++) if (chars[i] != ' ' && (i == 0 || chars[i - 1] == ' ')) starts.Add(i);
            text.BeginRewrite();
            for (int i = 0; i < chars.Length; i++)
            {
                if (starts.Contains(i)) text.AppendInserted('_', i);
                if (chars[i] != ' ') text.Append(chars[i], i);
            }
            text.EndRewrite();
            pieces.Clear();
            ReadOnlySpan<char> rewritten = text.Text;
            for (int i = 0; i < rewritten.Length; i++)
            {
                if (rewritten[i] != '_') continue;
                int end = i + 1;
                while (end < rewritten.Length && rewritten[end] != '_') end++;
                pieces.Add(new TextPiece(i, end - i));
                i = end - 1;
            }
        }
    }

    private sealed class WrapProcessor(int bos, int eos) : IPostProcessor
    {
        public void Process(ReadOnlySpan<char> text, TokenBuffer tokens, bool addSpecial)
        {
            if (!addSpecial) return;
            tokens.Insert(0, bos, 0, 0);
            tokens.Add(eos, text.Length, text.Length);
        }
    }

    private sealed class JoinDecoder : ITokenDecoder
    {
        public void Decode(List<string> tokens)
        {
            for (int i = 0; i < tokens.Count; i++) tokens[i] = tokens[i].Replace('_', ' ');
            if (tokens.Count > 0 && tokens[0].StartsWith(' ')) tokens[0] = tokens[0][1..];
        }
    }

    private const string Alphabet = "?_abcdefghijklmnopqrstuvwxyz";
    private const int Bos = 100, Eos = 101, Sep = 102, Star = 103;

    private static PipelineTokenizer Create() => new(new PipelineParts(new CharModel(Alphabet))
    {
        Normalizer = new TestNormalizer(),
        PreTokenizer = new TestPreTokenizer(),
        PostProcessor = new WrapProcessor(Bos, Eos),
        Decoder = new JoinDecoder(),
        AddedTokens = [new AddedToken(Bos, "<s>"), new AddedToken(Eos, "</s>"), new AddedToken(Sep, "[SEP]", LStrip: true, RStrip: true),
                       new AddedToken(Star, "**", Special: false)],
        BosId = Bos,
        EosId = Eos,
    });

    [Fact]
    public void OffsetsFollowNormalizationAndPreTokenization()
    {
        PipelineTokenizer tokenizer = Create();
        const string text = "Fuß x-y";
        EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text);
        string[] spans = [.. tokens.Select(t => text[t.Start..t.End])];
        Assert.Equal(["<s>", "_", "f", "u", "s", "s", "_", "x", "y", "</s>"], tokens.Select(t => tokenizer.TokenText(t.Id)));
        Assert.Equal(["", "", "F", "u", "ß", "ß", "", "x", "y", ""], spans);
        Assert.Equal(4, tokens[6].Start); // the inserted '_' sits where "x" starts
    }

    [Fact]
    public void SpecialAddedTokensNeedParseSpecialButOthersAlwaysMatch()
    {
        PipelineTokenizer tokenizer = Create();
        Assert.Equal([1, 2, Star, 1, 3], tokenizer.Encode("a**b", addSpecial: false));
        int[] asText = tokenizer.Encode("a [SEP] b", addSpecial: false, parseSpecial: false);
        Assert.DoesNotContain(Sep, asText);
        EncodedToken[] parsed = tokenizer.EncodeWithOffsets("a [SEP] b", addSpecial: false, parseSpecial: true);
        Assert.Equal([1, 2, Sep, 1, 3], parsed.Select(t => t.Id));
        Assert.Equal((2, 7), (parsed[2].Start, parsed[2].End));
        Assert.True(tokenizer.IsSpecial(Sep));
        Assert.False(tokenizer.IsSpecial(Star));
        Assert.Equal(Sep, tokenizer.TokenToId("[SEP]"));
        Assert.Equal(2, tokenizer.TokenToId("a"));
    }

    [Fact]
    public void DecodeRunsTheDecoderAndCanSkipSpecials()
    {
        PipelineTokenizer tokenizer = Create();
        int[] ids = tokenizer.Encode("hello world");
        Assert.Equal("<s> hello world</s>", tokenizer.Decode(ids));
        Assert.Equal("hello world", tokenizer.Decode(ids, skipSpecialTokens: true));
        var streamed = new StringBuilder();
        TokenStreamDecoder stream = tokenizer.CreateStreamDecoder(skipSpecialTokens: true);
        foreach (int id in ids) streamed.Append(stream.Add(id));
        Assert.Equal("hello world", streamed.Append(stream.Flush()).ToString());
    }

    [Fact]
    public void EmptyAndWhitespaceOnlyTextsGiveOnlyTheAddedTokens()
    {
        PipelineTokenizer tokenizer = Create();
        Assert.Equal([Bos, Eos], tokenizer.Encode(""));
        Assert.Equal([Bos, Eos], tokenizer.Encode("   "));
        Assert.Empty(tokenizer.Encode("", addSpecial: false));
    }
}
