// Byte-level BPE as llama.cpp runs it (llm_tokenizer_bpe): pre-tokenize, map bytes to GPT-2 characters, merge by rank.
using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Models.Bpe;

/// <summary>
/// Each word from the pre-tokenizer is UTF-8 encoded, every byte becomes one symbol, and adjacent symbols merge by the
/// lowest rank in tokenizer.ggml.merges (leftmost on ties). A final symbol that is not a token falls back to its
/// single-character tokens, dropping what has none, as llama.cpp does. Results are cached per word.
/// <para>
/// Symbol texts are interned as "pieces" (every token text, and both halves and the result of every merge), so a
/// merge is found by a pair of integers instead of by building strings.
/// </para>
/// </summary>
internal sealed class ByteLevelBpeModel : ITokenModel
{
    private const int MaxCachedWords = 1 << 16;
    private const int StackWordBytes = 256;

    private readonly TokenTable _table;
    private readonly BpePreTokenizer _preTokenizer;
    private readonly Dictionary<long, (int Rank, int Result)> _merges = new(MergePairComparer.Instance);
    private readonly int[] _bytePieces = new int[256];
    private readonly int[] _pieceTokens; // piece -> token id, or -1
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly byte[][] _rendered;

    public ByteLevelBpeModel(TokenTable table, string[] merges, BpePreTokenizer preTokenizer)
    {
        _table = table;
        _preTokenizer = preTokenizer;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();

        var pieces = new Dictionary<string, int>(table.Count + merges.Length, StringComparer.Ordinal);
        for (int id = 0; id < table.Count; id++) pieces[table.Texts[id]] = id;
        int Intern(string text)
        {
            if (!pieces.TryGetValue(text, out int piece)) pieces.Add(text, piece = pieces.Count);
            return piece;
        }
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string merge = merges[rank];
            int space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (space < 0) continue; // llama.cpp keeps ("", ""), which no symbol pair can match
            string first = merge[..space], second = merge[(space + 1)..];
            if (first.Length == 0 || second.Length == 0) continue;
            long key = ((long)Intern(first) << 32) | (uint)Intern(second);
            _merges.TryAdd(key, (rank, Intern(first + second)));
        }
        _pieceTokens = new int[pieces.Count];
        for (int piece = 0; piece < _pieceTokens.Length; piece++) _pieceTokens[piece] = piece < table.Count ? piece : -1;
        for (int b = 0; b < 256; b++)
        {
            _bytePieces[b] = pieces.TryGetValue(ByteLevelAlphabet.Encode((byte)b).ToString(), out int piece) ? piece : -1;
        }

        _rendered = new byte[table.Count][];
        for (int id = 0; id < table.Count; id++) _rendered[id] = Render(id);
    }

    public BpePreTokenizer PreTokenizer => _preTokenizer;

    public byte[] RenderToken(int id) => _rendered[id];

    public void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        var words = new List<(int Start, int Length)>();
        _preTokenizer.Split(text, words);
        foreach ((int start, int length) in words) EncodeWord(text.Slice(start, length), output);
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (_cacheLookup.TryGetValue(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int first = output.Count;
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rented = maxBytes > StackWordBytes ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        Span<byte> buffer = rented ?? stackalloc byte[StackWordBytes];
        try
        {
            int count = Encoding.UTF8.GetBytes(word, buffer);
            Merge(buffer[..count], output);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
        if (_cache.Count >= MaxCachedWords) _cache.Clear();
        _cache.TryAdd(word.ToString(), output.GetRange(first, output.Count - first).ToArray());
    }

    private void Merge(ReadOnlySpan<byte> bytes, List<int> output)
    {
        if (_preTokenizer.IgnoreMerges && TryWholeWord(bytes, output)) return;

        MergeScratch s = MergeScratch.ForThread();
        s.EnsureCapacity(bytes.Length);
        int count = bytes.Length;
        for (int i = 0; i < count; i++)
        {
            s.Start[i] = i;
            s.Length[i] = 1;
            s.Piece[i] = _bytePieces[bytes[i]];
        }
        s.MergeByRank(count, _merges);

        for (int i = 0; i != -1 && count > 0; i = s.Next[i])
        {
            int piece = s.Piece[i];
            int id = piece >= 0 ? _pieceTokens[piece] : -1;
            if (id >= 0)
            {
                output.Add(id);
                continue;
            }
            // llama.cpp looks up each UTF-8 byte of the mapped text alone: only ASCII characters can be found.
            foreach (byte b in bytes.Slice(s.Start[i], s.Length[i]))
            {
                char mapped = ByteLevelAlphabet.Encode(b);
                if (mapped >= 0x80) continue;
                int single = _table.Find([mapped]);
                if (single >= 0) output.Add(single);
            }
        }
    }

    private bool TryWholeWord(ReadOnlySpan<byte> bytes, List<int> output)
    {
        char[]? rented = bytes.Length > StackWordBytes ? ArrayPool<char>.Shared.Rent(bytes.Length) : null;
        Span<char> mapped = rented ?? stackalloc char[StackWordBytes];
        try
        {
            for (int i = 0; i < bytes.Length; i++) mapped[i] = ByteLevelAlphabet.Encode(bytes[i]);
            int id = _table.Find(mapped[..bytes.Length]);
            if (id < 0) return false;
            output.Add(id);
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }


    private byte[] Render(int id)
    {
        TokenAttributes attributes = _table.Attributes[id];
        string text = _table.Texts[id];
        if ((attributes & (TokenAttributes.Unknown | TokenAttributes.Control)) != 0) return [];
        if ((attributes & TokenAttributes.UserDefined) != 0) return Encoding.UTF8.GetBytes(text);
        if ((attributes & TokenAttributes.Normal) != 0) return UnmapBytes(text);
        if ((attributes & TokenAttributes.Byte) != 0) return [SentencePiece.SentencePieceBpeModel.ByteTokenValue(text)];
        return [];
    }

    /// <summary>
    /// llama.cpp's <c>llama_decode_text</c>: each character back to its byte; a character outside the alphabet
    /// becomes "[UNK_BYTE_0x" + its UTF-8 in hex + the whole token text + "]".
    /// </summary>
    private static byte[] UnmapBytes(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            int codepoint = char.IsSurrogatePair(text, i) ? char.ConvertToUtf32(text, i) : text[i];
            int value = ByteLevelAlphabet.Decode(codepoint);
            if (value >= 0)
            {
                bytes.Add((byte)value);
                continue;
            }
            var unknown = new StringBuilder("[UNK_BYTE_0x");
            foreach (byte b in Encoding.UTF8.GetBytes(text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1))) unknown.Append(b.ToString("x2"));
            unknown.Append(text).Append(']');
            bytes.AddRange(Encoding.UTF8.GetBytes(unknown.ToString()));
        }
        return [.. bytes];
    }
}
