// OpenAI's tiktoken byte-level BPE (gpt2, r50k, p50k, cl100k, o200k): split, rank-based merges, special tokens.
using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Quill.Tokenizers.Models.Bpe;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// A tiktoken encoding. Text is split by the encoding's pattern (hand-written scanners, see
/// <see cref="TiktokenWordScanner"/>), each word's UTF-8 bytes are merged by rank (<see cref="BytePairMerger"/>), and
/// ids are the ranks. Special tokens are recognised in text only when <c>parseSpecial</c> is true; there is no
/// post-processor, so <c>addSpecial</c> adds nothing. Token texts are spelled in GPT-2's byte-level alphabet ("Ġloves").
/// Words that need merging are cached per tokenizer. Offsets are UTF-16; a token covering part of a multi-byte
/// character gets that whole character's range. Lone surrogates are encoded as U+FFFD. Thread-safe.
/// </summary>
public sealed class TiktokenTokenizer : Tokenizer
{
    private const int MaxCachedWordChars = 64;
    private const int MaxCacheEntries = 1 << 17;

    [ThreadStatic] private static Scratch? t_scratch;

    private readonly TiktokenRanks _ranks;
    private readonly TiktokenSpecialTokens _specials;
    private readonly TiktokenPattern _pattern;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cacheCount;

    internal TiktokenTokenizer(TiktokenRanks ranks, TiktokenEncoding encoding)
    {
        _ranks = ranks;
        _pattern = encoding.Pattern;
        _specials = new TiktokenSpecialTokens(encoding.SpecialTokens);
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        EncodingName = encoding.Name;
        EosId = _specials.IdOf(TiktokenEncoding.EndOfText);
    }

    /// <summary>The encodings <see cref="BuiltIn"/> knows: gpt2, r50k_base, cl100k_base, o200k_base.</summary>
    public static IReadOnlyCollection<string> BuiltInNames => TiktokenBuiltIns.Names;

    /// <summary>"cl100k_base", "o200k_base", ...; empty for a file whose name says no encoding.</summary>
    public string EncodingName { get; }

    /// <summary>The special tokens and their ids.</summary>
    public IEnumerable<KeyValuePair<string, int>> SpecialTokens => _specials.All;

    internal TiktokenRanks Ranks => _ranks;

    public override int VocabSize => Math.Max(_ranks.Count, _specials.MaxId + 1);

    public override int BosId => -1;

    public override int EosId { get; }

    /// <summary>
    /// An encoding whose ranks ship in the Microsoft.ML.Tokenizers.Data.* packages (gpt2, r50k_base, cl100k_base,
    /// o200k_base), loaded once per process.
    /// </summary>
    public static TiktokenTokenizer BuiltIn(string name) => TiktokenBuiltIns.Get(name);

    /// <summary>
    /// Reads a .tiktoken file. The pattern and special tokens come from <paramref name="encoding"/> (gpt2, r50k_base,
    /// p50k_base, p50k_edit, cl100k_base, o200k_base), else from an encoding named in the file name, else cl100k's
    /// pattern without special tokens. A malformed file throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static TiktokenTokenizer Load(string path, string? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        TiktokenEncoding named = encoding is null
            ? TiktokenEncoding.FromFileName(path)
            : TiktokenEncoding.Find(encoding)
              ?? throw new ArgumentException($"unknown tiktoken encoding '{encoding}'; expected one of {TiktokenEncoding.KnownNames}", nameof(encoding));
        return new TiktokenTokenizer(TiktokenFile.Parse(File.ReadAllBytes(path), path), named);
    }

    public override bool IsEndOfGeneration(int id) => id >= 0 && id == EosId;

    public override bool IsSpecial(int id) => _specials.IsSpecial(id);

    public override byte[] TokenBytes(int id)
    {
        if (_specials.TryGetText(id, out _, out byte[] bytes)) return (byte[])bytes.Clone();
        return _ranks.Bytes(CheckId(id)).ToArray();
    }

    public override string TokenText(int id)
    {
        if (_specials.TryGetText(id, out string text, out _)) return text;
        ReadOnlySpan<byte> bytes = _ranks.Bytes(CheckId(id));
        return string.Create(bytes.Length, bytes.ToArray(), static (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = ByteLevelAlphabet.Encode(source[i]);
        });
    }

    public override int TokenToId(ReadOnlySpan<char> token)
    {
        int special = _specials.IdOf(token);
        if (special >= 0 || token.IsEmpty) return special;
        byte[]? rented = token.Length > 256 ? ArrayPool<byte>.Shared.Rent(token.Length) : null;
        Span<byte> bytes = rented is null ? stackalloc byte[token.Length] : rented.AsSpan(0, token.Length);
        try
        {
            for (int i = 0; i < token.Length; i++)
            {
                int value = ByteLevelAlphabet.Decode(token[i]);
                if (value < 0) return -1;
                bytes[i] = (byte)value;
            }
            return _ranks.Find(bytes);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        int total = 0;
        foreach (int id in ids)
        {
            if (_specials.TryGetText(id, out _, out byte[] bytes)) total += skipSpecialTokens ? 0 : bytes.Length;
            else total += _ranks.Bytes(CheckId(id)).Length;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, total));
        try
        {
            int length = 0;
            foreach (int id in ids)
            {
                ReadOnlySpan<byte> bytes = _specials.TryGetText(id, out _, out byte[] special)
                    ? (skipSpecialTokens ? default : special)
                    : _ranks.Bytes(id);
                bytes.CopyTo(buffer.AsSpan(length));
                length += bytes.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output)
    {
        Scratch scratch = t_scratch ??= new Scratch();
        int pos = 0;
        if (parseSpecial && _specials.Count > 0)
        {
            int at;
            while ((at = _specials.FindNext(text, pos, out int id, out int length)) >= 0)
            {
                EncodeChunk(text[pos..at], pos, output, scratch);
                output.Add(id, at, at + length);
                pos = at + length;
            }
        }
        EncodeChunk(text[pos..], pos, output, scratch);
    }

    /// <summary>Splits text that holds no special token into words and encodes each; offsets shifted by <paramref name="offset"/>.</summary>
    private void EncodeChunk(ReadOnlySpan<char> chunk, int offset, TokenBuffer output, Scratch scratch)
    {
        TiktokenPattern pattern = _pattern;
        for (int pos = 0; pos < chunk.Length;)
        {
            int end = pattern switch
            {
                TiktokenPattern.Gpt2 => TiktokenWordScanner.Gpt2(chunk, pos),
                TiktokenPattern.Cl100k => TiktokenWordScanner.Cl100k(chunk, pos),
                _ => O200kWordScanner.NextWordEnd(chunk, pos),
            };
            EncodeWord(chunk[pos..end], offset + pos, output, scratch);
            pos = end;
        }
    }

    private void EncodeWord(ReadOnlySpan<char> word, int offset, TokenBuffer output, Scratch scratch)
    {
        bool cacheable = word.Length <= MaxCachedWordChars;
        if (cacheable && _cacheBySpan.TryGetValue(word, out int[]? cached))
        {
            for (int i = 0; i < cached.Length; i += 3) output.Add(cached[i], offset + cached[i + 1], offset + cached[i + 2]);
            return;
        }

        bool ascii = scratch.ToUtf8(word, out ReadOnlySpan<byte> bytes);
        int whole = _ranks.Find(bytes);
        if (whole != TiktokenRanks.None)
        {
            output.Add(whole, offset, offset + word.Length);
            if (cacheable) AddToCache(word, [whole, 0, word.Length]);
            return;
        }

        Span<int> ids = scratch.Ids(bytes.Length);
        Span<int> ends = scratch.Ends(bytes.Length);
        int count = scratch.Merger.Merge(_ranks, bytes, ids, ends);
        if (!ascii) scratch.MapBytesToChars(word);
        int[]? entry = cacheable ? new int[count * 3] : null;
        int byteStart = 0;
        for (int i = 0; i < count; i++)
        {
            int start = ascii ? byteStart : scratch.CharStart(byteStart);
            int end = ascii ? ends[i] : scratch.CharEnd(ends[i] - 1);
            output.Add(ids[i], offset + start, offset + end);
            if (entry is not null)
            {
                entry[3 * i] = ids[i];
                entry[3 * i + 1] = start;
                entry[3 * i + 2] = end;
            }
            byteStart = ends[i];
        }
        if (entry is not null) AddToCache(word, entry);
    }

    private void AddToCache(ReadOnlySpan<char> word, int[] entry)
    {
        if (Volatile.Read(ref _cacheCount) >= MaxCacheEntries) return;
        if (_cacheBySpan.TryAdd(word, entry)) Interlocked.Increment(ref _cacheCount);
    }

    private int CheckId(int id)
    {
        if (_ranks.Contains(id)) return id;
        throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be a rank or special token of {EncodingName} (below {VocabSize}), found {id}");
    }

    /// <summary>Per-thread buffers for one word: its UTF-8, where each byte's character lies, and the merge's output.</summary>
    private sealed class Scratch
    {
        public readonly BytePairMerger Merger = new();
        private byte[] _utf8 = new byte[256];
        private int[] _charStarts = new int[256];
        private int[] _charEnds = new int[256];
        private int[] _ids = new int[256];
        private int[] _ends = new int[256];

        /// <summary>UTF-8 of <paramref name="word"/> (lone surrogates as U+FFFD); true when it is all ASCII.</summary>
        public bool ToUtf8(ReadOnlySpan<char> word, out ReadOnlySpan<byte> bytes)
        {
            if (_utf8.Length < word.Length * 3) Grow(word.Length * 3);
            byte[] utf8 = _utf8;
            int n = 0;
            int i = 0;
            for (; i < word.Length && word[i] < 0x80; i++) utf8[n++] = (byte)word[i];
            bool ascii = i == word.Length;
            for (; i < word.Length; i++)
            {
                int c = word[i];
                if (c < 0x80)
                {
                    utf8[n++] = (byte)c;
                }
                else if (c < 0x800)
                {
                    utf8[n++] = (byte)(0xC0 | (c >> 6));
                    utf8[n++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (char.IsHighSurrogate((char)c) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]))
                {
                    int cp = char.ConvertToUtf32((char)c, word[++i]);
                    utf8[n++] = (byte)(0xF0 | (cp >> 18));
                    utf8[n++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                    utf8[n++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                    utf8[n++] = (byte)(0x80 | (cp & 0x3F));
                }
                else
                {
                    if (char.IsSurrogate((char)c)) c = 0xFFFD;
                    utf8[n++] = (byte)(0xE0 | (c >> 12));
                    utf8[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    utf8[n++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            bytes = utf8.AsSpan(0, n);
            return ascii;
        }

        /// <summary>For each UTF-8 byte of <paramref name="word"/> (as <see cref="ToUtf8"/> wrote it), its character's range.</summary>
        public void MapBytesToChars(ReadOnlySpan<char> word)
        {
            int n = 0;
            for (int i = 0; i < word.Length;)
            {
                int c = word[i];
                int chars = 1;
                int byteCount;
                if (c < 0x80) byteCount = 1;
                else if (c < 0x800) byteCount = 2;
                else if (char.IsHighSurrogate((char)c) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]))
                {
                    byteCount = 4;
                    chars = 2;
                }
                else byteCount = 3;
                for (int b = 0; b < byteCount; b++)
                {
                    _charStarts[n] = i;
                    _charEnds[n++] = i + chars;
                }
                i += chars;
            }
        }

        public int CharStart(int byteIndex) => _charStarts[byteIndex];

        public int CharEnd(int byteIndex) => _charEnds[byteIndex];

        public Span<int> Ids(int count) => _ids.AsSpan(0, count);

        public Span<int> Ends(int count) => _ends.AsSpan(0, count);

        private void Grow(int bytes)
        {
            int size = Math.Max(bytes, _utf8.Length * 2);
            _utf8 = new byte[size];
            _charStarts = new int[size];
            _charEnds = new int[size];
            _ids = new int[size];
            _ends = new int[size];
        }
    }
}
