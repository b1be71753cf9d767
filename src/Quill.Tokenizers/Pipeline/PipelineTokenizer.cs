// A tokenizer assembled from stages (normalizer, pre-tokenizer, model, post-processor, decoder); built by TokenizerJsonLoader and BertTokenizerFactory.
using System.Text;

namespace Quill.Tokenizers.Pipeline;

/// <summary>What a <see cref="PipelineTokenizer"/> is made of; null stages are skipped.</summary>
public sealed record PipelineParts(ISubwordModel Model)
{
    public INormalizer? Normalizer { get; init; }

    public IPreTokenizer? PreTokenizer { get; init; }

    public IPostProcessor? PostProcessor { get; init; }

    public ITokenDecoder? Decoder { get; init; }

    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>transformers' clean_up_tokenization_spaces: " ." → "." and similar after decoding.</summary>
    public bool CleanUpTokenizationSpaces { get; init; }

    public int BosId { get; init; } = -1;

    public int EosId { get; init; } = -1;

    /// <summary>Where the parts came from, for messages ("tokenizer.json", a vocab.txt path).</summary>
    public string Source { get; init; } = "tokenizer";
}

/// <summary>
/// Hugging Face's encode for one sequence: added tokens are cut out of the input first, each remaining span is
/// normalized, split into pieces, and each piece tokenized by the model; offsets are mapped back to the input; the
/// post-processor adds special tokens. Decode maps ids to spellings and runs the decoder. Thread-safe.
/// </summary>
public sealed class PipelineTokenizer : Tokenizer
{
    [ThreadStatic] private static NormalizedText? t_text;
    [ThreadStatic] private static List<TextPiece>? t_pieces;
    [ThreadStatic] private static TokenBuffer? t_pieceTokens;
    [ThreadStatic] private static List<AddedTokenMatcher.Match>? t_matches;

    private readonly PipelineParts _parts;
    private readonly AddedTokenMatcher _addedTokens;
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly int _vocabSize;
    private readonly byte[]?[] _tokenBytes;
    private readonly int _contextId;

    public PipelineTokenizer(PipelineParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        _parts = parts;
        int size = parts.Model.VocabSize;
        foreach (AddedToken token in parts.AddedTokens)
        {
            _addedById[token.Id] = token;
            size = Math.Max(size, token.Id + 1);
        }
        _vocabSize = size;
        _tokenBytes = new byte[size][];
        _addedTokens = new AddedTokenMatcher(parts.AddedTokens);
        _contextId = FindContextToken();
    }

    public PipelineParts Parts => _parts;

    public override int VocabSize => _vocabSize;

    public override int BosId => _parts.BosId;

    public override int EosId => _parts.EosId;

    public override bool IsEndOfGeneration(int id) => id == _parts.EosId;

    public override bool IsSpecial(int id) => _addedById.TryGetValue(id, out AddedToken? token) && token.Special;

    public override string TokenText(int id) =>
        _addedById.TryGetValue(id, out AddedToken? token) ? token.Content
        : _parts.Model.IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {_vocabSize}), found {id}");

    public override int TokenToId(ReadOnlySpan<char> token)
    {
        int id = _addedTokens.Find(token);
        return id >= 0 ? id : _parts.Model.TokenToId(token);
    }

    /// <summary>
    /// The bytes the token adds to a decoded text after some other token (so "▁Hello" gives " Hello" and "##s" gives
    /// "s", as the decoder renders them mid-text). A token that stands for part of a character (a byte-level token, a
    /// &lt;0xXX&gt; byte-fallback token) gives its raw bytes rather than U+FFFD, so streamed bytes reassemble the text.
    /// The array is shared: do not modify it.
    /// </summary>
    public override byte[] TokenBytes(int id)
    {
        if ((uint)id >= (uint)_vocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {_vocabSize}), found {id}");
        byte[]? bytes = Volatile.Read(ref _tokenBytes[id]);
        if (bytes is null) Volatile.Write(ref _tokenBytes[id], bytes = ComputeTokenBytes(id));
        return bytes;
    }

    private byte[] ComputeTokenBytes(int id)
    {
        string decoded = DecodeAfterContext(id);
        if (!decoded.Contains('\uFFFD')) return Encoding.UTF8.GetBytes(decoded);
        string text = TokenText(id);
        if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte value))
        {
            return [value];
        }
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int b = Models.Bpe.ByteLevelAlphabet.Decode(text[i]);
            if (b < 0) return Encoding.UTF8.GetBytes(decoded);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            tokens.Add(TokenText(id));
        }
        string text;
        if (_parts.Decoder is { } decoder)
        {
            decoder.Decode(tokens);
            text = string.Concat(tokens);
        }
        else
        {
            text = string.Join(' ', tokens);
        }
        return _parts.CleanUpTokenizationSpaces ? CleanUpSpaces(text) : text;
    }

    /// <summary>What decoding <paramref name="id"/> adds after a plain context token (the first vocabulary letter found).</summary>
    private string DecodeAfterContext(int id)
    {
        int context = _contextId;
        if (context < 0) return Decode([id], skipSpecialTokens: false);
        string prefix = Decode([context], skipSpecialTokens: false);
        string full = Decode([context, id], skipSpecialTokens: false);
        return full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..] : Decode([id], skipSpecialTokens: false);
    }

    private int FindContextToken()
    {
        foreach (string candidate in (string[])["a", "▁a", "Ġa", "x", "▁x"])
        {
            int id = TokenToId(candidate);
            if (id >= 0 && !IsSpecial(id)) return id;
        }
        return -1;
    }

    protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output)
    {
        List<AddedTokenMatcher.Match> matches = t_matches ??= [];
        matches.Clear();
        _addedTokens.FindAll(text, parseSpecial, matches);
        int position = 0;
        foreach (AddedTokenMatcher.Match match in matches)
        {
            if (match.Start > position) EncodeSpan(text, position, match.Start, output);
            output.Add(match.Id, match.TokenStart, match.TokenEnd);
            position = match.End;
        }
        if (position < text.Length) EncodeSpan(text, position, text.Length, output);
        _parts.PostProcessor?.Process(text, output, addSpecial);
    }

    private void EncodeSpan(ReadOnlySpan<char> input, int start, int end, TokenBuffer output)
    {
        NormalizedText text = t_text ??= new NormalizedText();
        text.Reset(input[start..end], start);
        _parts.Normalizer?.Normalize(text);
        if (text.Length == 0) return;

        List<TextPiece> pieces = t_pieces ??= [];
        pieces.Clear();
        pieces.Add(new TextPiece(0, text.Length));
        _parts.PreTokenizer?.PreTokenize(text, pieces);

        TokenBuffer pieceTokens = t_pieceTokens ??= new TokenBuffer(64);
        foreach (TextPiece piece in pieces)
        {
            if (piece.Length == 0) continue;
            pieceTokens.Clear();
            _parts.Model.Tokenize(text.Text.Slice(piece.Start, piece.Length), pieceTokens);
            for (int i = 0; i < pieceTokens.Count; i++)
            {
                EncodedToken token = pieceTokens[i];
                (int from, int to) = text.OriginalRange(piece.Start + token.Start, piece.Start + token.End);
                output.Add(token.Id, from, to);
            }
        }
    }

    /// <summary>transformers' clean_up_tokenization: drops the space before punctuation and inside common contractions.</summary>
    private static string CleanUpSpaces(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}
