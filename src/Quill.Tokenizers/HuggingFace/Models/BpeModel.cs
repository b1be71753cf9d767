// Hugging Face's BPE model (tokenizer.json "BPE"): merges by rank over the characters of one piece, byte fallback, unk, ignore_merges.
using System.Collections.Concurrent;
using System.Text;
using Quill.Tokenizers.Models;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Models;

/// <summary>Settings of a BPE model besides its vocabulary and merges.</summary>
internal sealed record BpeOptions
{
    public string? UnkToken { get; init; }

    public bool FuseUnk { get; init; }

    public bool ByteFallback { get; init; }

    public bool IgnoreMerges { get; init; }

    public string ContinuingSubwordPrefix { get; init; } = "";

    public string EndOfWordSuffix { get; init; } = "";
}

/// <summary>
/// Each character of a piece starts as one symbol (with the continuing-subword prefix after the first and the
/// end-of-word suffix on the last); a character missing from the vocabulary becomes its UTF-8 byte tokens
/// <c>&lt;0xXX&gt;</c> (byte_fallback) or the unknown token (consecutive ones fused with fuse_unk) and takes no part in
/// merges. Adjacent symbols then merge by lowest rank, leftmost first. Symbol texts are interned as integer "pieces"
/// (the vocabulary ids, then merge parts missing from it), so a merge is one dictionary probe on a pair of integers.
/// Results of pieces up to <see cref="MaxCachedLength"/> chars are cached. Thread-safe.
/// </summary>
internal sealed class BpeModel : ISubwordModel
{
    private const int MaxCachedLength = 256;
    private const int MaxCachedWords = 1 << 17;
    private const char Metaspace = '\u2581';

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idLookup;
    private readonly Dictionary<string, int> _pieces;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieceLookup;
    private readonly Dictionary<long, (int Rank, int Result)> _merges;
    private readonly int[] _charPieces = new int[0x10000]; // BMP char -> piece, when no prefix/suffix applies
    private readonly int[] _byteTokens = new int[256];      // <0xXX> ids, or -1
    private readonly int _unkId;
    private readonly BpeOptions _options;
    private readonly bool _plainChars;
    private readonly bool[]? _joinsMetaspace; // see CharsJoiningMetaspace
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    /// <param name="tokens">id → token text, dense.</param>
    /// <param name="ids"></param>
    /// <param name="merges">the merges in rank order, as (left, right) texts.</param>
    /// <param name="options"></param>
    /// <param name="unkId">the unknown token's id (it may be an added token), or -1.</param>
    public BpeModel(string[] tokens, Dictionary<string, int> ids, IReadOnlyList<(string Left, string Right)> merges, BpeOptions options, int unkId)
    {
        _tokens = tokens;
        _ids = ids;
        _idLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _options = options;
        _unkId = unkId;
        _plainChars = options.ContinuingSubwordPrefix.Length == 0 && options.EndOfWordSuffix.Length == 0;

        _pieces = new Dictionary<string, int>(ids, StringComparer.Ordinal);
        _pieceLookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = new Dictionary<long, (int, int)>(merges.Count, MergePairComparer.Instance);
        string prefix = options.ContinuingSubwordPrefix;
        char[] joined = new char[64];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            (string left, string right) = merges[rank];
            ReadOnlySpan<char> tail = prefix.Length > 0 && right.StartsWith(prefix, StringComparison.Ordinal) ? right.AsSpan(prefix.Length) : right;
            if (joined.Length < left.Length + tail.Length) joined = new char[left.Length + tail.Length];
            left.CopyTo(joined);
            tail.CopyTo(joined.AsSpan(left.Length));
            long key = ((long)Intern(left) << 32) | (uint)Intern(right);
            _merges[key] = (rank, Intern(joined.AsSpan(0, left.Length + tail.Length)));
        }

        _charPieces.AsSpan().Fill(-1);
        foreach ((string text, int id) in ids)
        {
            if (text.Length == 1) _charPieces[text[0]] = id;
        }
        for (int b = 0; b < 256; b++) _byteTokens[b] = ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        bool unkReachable = !(options.ByteFallback && !_byteTokens.Contains(-1));
        _joinsMetaspace = CharsJoiningMetaspace(merges, options, unkReachable);
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int VocabSize => _tokens.Length;

    public BpeOptions Options => _options;

    public string? IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    public int TokenToId(ReadOnlySpan<char> token) => _idLookup.TryGetValue(token, out int id) ? id : -1;

    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        if (piece.IsEmpty) return;
        if (_options.IgnoreMerges && _idLookup.TryGetValue(piece, out int whole))
        {
            output.Add(whole, 0, piece.Length);
            return;
        }
        if (_joinsMetaspace is null)
        {
            TokenizeWord(piece, 0, output);
            return;
        }
        int start = 0;
        for (int i = 1; i <= piece.Length; i++)
        {
            if (i < piece.Length && (piece[i] != Metaspace || _joinsMetaspace[piece[i - 1]])) continue;
            TokenizeWord(piece[start..i], start, output);
            start = i;
        }
    }

    /// <summary>
    /// Which chars a merge may join to a following '▁': '▁' itself, and the last char of every merge whose left part
    /// does not end in '▁' but whose right part starts with it. Cutting a piece before every other '▁' and merging each
    /// part alone (and cached) gives the same result, which turns the one long piece of SentencePiece-style files (no
    /// pre-tokenizer) into cacheable words. Null when cutting is not exact for other reasons.
    /// </summary>
    private static bool[]? CharsJoiningMetaspace(IReadOnlyList<(string Left, string Right)> merges, BpeOptions options, bool unkReachable)
    {
        if (options.IgnoreMerges || options.ContinuingSubwordPrefix.Length > 0 || options.EndOfWordSuffix.Length > 0) return null;
        if (options.FuseUnk && unkReachable) return null; // fusing would have to look across the cut
        var joins = new bool[0x10000];
        joins[Metaspace] = true;
        foreach ((string left, string right) in merges)
        {
            if (right.StartsWith(Metaspace) && left.Length > 0) joins[left[^1]] = true;
        }
        return joins;
    }

    private void TokenizeWord(ReadOnlySpan<char> word, int offset, TokenBuffer output)
    {
        bool cacheable = word.Length <= MaxCachedLength;
        if (cacheable && _cacheLookup.TryGetValue(word, out int[]? cached))
        {
            for (int i = 0; i < cached.Length; i += 3) output.Add(cached[i], cached[i + 1] + offset, cached[i + 2] + offset);
            return;
        }
        int first = output.Count;
        Merge(word, output);
        if (cacheable)
        {
            int count = output.Count - first;
            var entry = new int[count * 3];
            for (int i = 0; i < count; i++)
            {
                entry[3 * i] = output.Ids[first + i];
                entry[3 * i + 1] = output.Starts[first + i];
                entry[3 * i + 2] = output.Ends[first + i];
            }
            if (_cache.Count >= MaxCachedWords) _cache.Clear();
            _cache.TryAdd(word.ToString(), entry);
        }
        if (offset != 0) output.ShiftOffsets(first, offset);
    }

    private int Intern(ReadOnlySpan<char> text)
    {
        if (!_pieceLookup.TryGetValue(text, out int piece)) _pieceLookup.TryAdd(text, piece = _tokens.Length + (_pieces.Count - _ids.Count));
        return piece;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Merge(ReadOnlySpan<char> word, TokenBuffer output)
    {
        MergeScratch s = MergeScratch.ForThread();
        s.EnsureCapacity(word.Length);
        int count = 0;
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            s.Start[count] = i;
            s.Length[count] = length;
            s.Piece[count] = InitialPiece(word, i, length, first: i == 0, last: i + length == word.Length);
            count++;
            i += length;
        }
        s.MergeByRank(count, _merges);

        bool previousUnknown = false;
        for (int i = 0; i != -1 && count > 0; i = s.Next[i])
        {
            int piece = s.Piece[i];
            int start = s.Start[i], end = start + s.Length[i];
            if (piece >= 0 && piece < _tokens.Length)
            {
                output.Add(piece, start, end);
                previousUnknown = false;
                continue;
            }
            if (_options.ByteFallback && TryAddBytes(word[start..end], start, end, output))
            {
                previousUnknown = false;
                continue;
            }
            if (_unkId < 0) continue;
            if (_options.FuseUnk && previousUnknown)
            {
                output.SetOffsets(output.Count - 1, output.Starts[output.Count - 1], end);
                continue;
            }
            output.Add(_unkId, start, end);
            previousUnknown = true;
        }
    }

    /// <summary>The piece of one character as an initial symbol, or -1 when the vocabulary lacks it.</summary>
    private int InitialPiece(ReadOnlySpan<char> word, int index, int length, bool first, bool last)
    {
        if (_plainChars)
        {
            int piece = length == 1 ? _charPieces[word[index]] : _idLookup.TryGetValue(word.Slice(index, length), out int id) ? id : -1;
            return piece;
        }
        string prefix = first ? "" : _options.ContinuingSubwordPrefix;
        string suffix = last ? _options.EndOfWordSuffix : "";
        Span<char> text = stackalloc char[prefix.Length + length + suffix.Length];
        prefix.CopyTo(text);
        word.Slice(index, length).CopyTo(text[prefix.Length..]);
        suffix.CopyTo(text[(prefix.Length + length)..]);
        return _idLookup.TryGetValue(text, out int found) ? found : -1;
    }

    private bool TryAddBytes(ReadOnlySpan<char> text, int start, int end, TokenBuffer output)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> bytes = maxBytes <= 256 ? stackalloc byte[256] : new byte[maxBytes];
        int count = Encoding.UTF8.GetBytes(text, bytes);
        foreach (byte b in bytes[..count])
        {
            if (_byteTokens[b] < 0) return false;
        }
        foreach (byte b in bytes[..count]) output.Add(_byteTokens[b], start, end);
        return true;
    }
}
