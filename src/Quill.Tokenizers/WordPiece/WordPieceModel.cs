// The WordPiece model: greedy longest-match-first over a vocabulary with "##" continuations.
using System.Runtime.CompilerServices;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's WordPiece: a word is cut from the left into the longest vocabulary entries, the first as spelled and
/// the rest with the continuing-subword prefix ("##"). A word of more than <c>max_input_chars_per_word</c> code points,
/// or one with a remainder no entry starts, becomes the single unknown token covering the whole word. Look-ups are on
/// spans: word starts in one table, continuations in a second keyed without the prefix; no candidate is longer than
/// the longest key, and the hashes of all candidates at a position come from one pass (<see cref="PrefixHashTable"/>). Thread-safe.
/// </summary>
public sealed class WordPieceModel : ISubwordModel
{
    private const int MaxStackHashes = 128;

    [ThreadStatic] private static ulong[]? t_hashes;

    private readonly PrefixHashTable _starts;
    private readonly PrefixHashTable _continuations;
    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _tokens;
    private readonly int _unkId;

    public WordPieceModel(IReadOnlyDictionary<string, int> vocab, string unkToken = "[UNK]", string continuingSubwordPrefix = "##",
        int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(unkToken);
        ArgumentNullException.ThrowIfNull(continuingSubwordPrefix);
        UnkToken = unkToken;
        ContinuingSubwordPrefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;

        _vocab = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        int size = 0;
        foreach ((string token, int id) in vocab)
        {
            if (id < 0) throw new ArgumentException($"vocabulary ids must be non-negative, found {id} for '{token}'", nameof(vocab));
            _vocab[token] = id;
            size = Math.Max(size, id + 1);
            if (continuingSubwordPrefix.Length > 0 && token.StartsWith(continuingSubwordPrefix, StringComparison.Ordinal))
            {
                string rest = token[continuingSubwordPrefix.Length..];
                continuations[rest] = id;
            }
        }
        if (continuingSubwordPrefix.Length == 0) continuations = _vocab;
        if (!_vocab.TryGetValue(unkToken, out _unkId))
        {
            throw new ArgumentException($"the unknown token '{unkToken}' is not in the vocabulary", nameof(unkToken));
        }
        _tokens = new string?[size];
        foreach ((string token, int id) in _vocab) _tokens[id] = token;
        _starts = new PrefixHashTable(_vocab);
        _continuations = new PrefixHashTable(continuations);
    }

    /// <summary>A vocabulary given as tokens in id order (a vocab.txt: id = line number).</summary>
    public WordPieceModel(IReadOnlyList<string> tokens, string unkToken = "[UNK]", string continuingSubwordPrefix = "##",
        int maxInputCharsPerWord = 100)
        : this(ToDictionary(tokens), unkToken, continuingSubwordPrefix, maxInputCharsPerWord)
    {
    }

    public string UnkToken { get; }

    public int UnkId => _unkId;

    public string ContinuingSubwordPrefix { get; }

    public int MaxInputCharsPerWord { get; }

    /// <summary>The vocabulary, token → id.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    public int VocabSize => _tokens.Length;

    public string? IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    public int TokenToId(ReadOnlySpan<char> token) => _starts.Find(token);

    [SkipLocalsInit]
    public void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output)
    {
        if (piece.Length == 0) return;
        if (piece.Length > MaxInputCharsPerWord && CodePointCount(piece) > MaxInputCharsPerWord)
        {
            output.Add(_unkId, 0, piece.Length);
            return;
        }
        int first = output.Count;
        int longest = Math.Max(_starts.LongestKey, _continuations.LongestKey) + 1;
        Span<ulong> hashes = longest <= MaxStackHashes ? stackalloc ulong[MaxStackHashes] : (t_hashes is { } h
            && h.Length >= longest ? h : t_hashes = new ulong[longest]);
        int start = 0;
        while (start < piece.Length)
        {
            PrefixHashTable table = start > 0 ? _continuations : _starts;
            int end = Math.Min(piece.Length, start + table.LongestKey);
            if (end < piece.Length && char.IsLowSurrogate(piece[end]) && char.IsHighSurrogate(piece[end - 1])) end--;
            // hashes[k] is the hash of piece[start..start + k].
            ulong hash = PrefixHashTable.Seed;
            for (int i = start; i < end; i++) hashes[i - start + 1] = hash = PrefixHashTable.Extend(hash, piece[i]);
            int id = -1;
            while (end > start)
            {
                id = table.Find(hashes[end - start], piece[start..end]);
                if (id >= 0) break;
                end -= end - start >= 2 && char.IsLowSurrogate(piece[end - 1]) && char.IsHighSurrogate(piece[end - 2]) ? 2 : 1;
            }
            if (end == start)
            {
                output.Truncate(first);
                output.Add(_unkId, 0, piece.Length);
                return;
            }
            output.Add(id, start, end);
            start = end;
        }
    }

    private static int CodePointCount(ReadOnlySpan<char> text)
    {
        int count = text.Length;
        for (int i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                count--;
                i++;
            }
        }
        return count;
    }

    private static Dictionary<string, int> ToDictionary(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var vocab = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            if (!vocab.TryAdd(tokens[i], i)) throw new ArgumentException($"token '{tokens[i]}' at {i} repeats the one at {vocab[tokens[i]]}", nameof(tokens));
        }
        return vocab;
    }
}
