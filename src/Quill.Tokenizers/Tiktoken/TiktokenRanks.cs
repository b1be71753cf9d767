// The mergeable ranks of a tiktoken encoding: token bytes <-> rank (= id), with an open-addressing byte-span table.
using System.Buffers.Binary;
using System.Numerics;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// All token byte strings live in one array; a power-of-two table of (hash, id) slots finds a span's rank without
/// allocating. Tokens of up to 7 bytes (most merge candidates) also sit in a second table keyed by the bytes
/// themselves, so their look-up touches one cache line instead of three. Ranks may have gaps (cl100k has none at
/// 100256); a gap has no bytes and is never found.
/// </summary>
internal sealed class TiktokenRanks
{
    public const int None = -1;

    private readonly byte[] _bytes;
    private readonly int[] _starts; // Count + 1 entries
    private readonly bool[] _present;
    private readonly ulong[] _slots; // (hash << 32) | (id + 1); 0 is empty
    private readonly int _mask;
    private readonly int[] _singleByteRanks = new int[256];
    private readonly ShortEntry[] _short; // tokens of 1..7 bytes, keyed by ShortKey
    private readonly int _shortShift;

    private struct ShortEntry
    {
        public ulong Key; // 0 is empty (a real key has its length in the top byte)
        public int Id;
    }

    /// <summary><paramref name="tokens"/>[rank] is that rank's bytes, or null for a gap.</summary>
    public TiktokenRanks(byte[]?[] tokens)
    {
        Count = tokens.Length;
        _starts = new int[Count + 1];
        _present = new bool[Count];
        long total = 0;
        int present = 0;
        for (int id = 0; id < Count; id++)
        {
            _starts[id] = (int)total;
            if (tokens[id] is { } token)
            {
                total += token.Length;
                _present[id] = true;
                present++;
            }
        }
        _starts[Count] = (int)total;
        _bytes = new byte[total];
        for (int id = 0; id < Count; id++) tokens[id]?.CopyTo(_bytes, _starts[id]);

        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, present * 2));
        _slots = new ulong[capacity];
        _mask = capacity - 1;
        _singleByteRanks.AsSpan().Fill(None);
        for (int id = 0; id < Count; id++)
        {
            if (!_present[id]) continue;
            ReadOnlySpan<byte> token = Bytes(id);
            uint hash = Hash(token);
            int slot = (int)hash & _mask;
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
            _slots[slot] = ((ulong)hash << 32) | (uint)(id + 1);
            if (token.Length == 1) _singleByteRanks[token[0]] = id;
        }

        int shortCount = 0;
        for (int id = 0; id < Count; id++) if (_present[id] && Bytes(id).Length <= MaxShortBytes) shortCount++;
        int shortCapacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, shortCount * 2));
        _short = new ShortEntry[shortCapacity];
        _shortShift = 64 - BitOperations.Log2((uint)shortCapacity);
        for (int id = 0; id < Count; id++)
        {
            if (!_present[id] || Bytes(id).Length > MaxShortBytes) continue;
            ulong key = ShortKey(Bytes(id));
            int slot = ShortSlot(key);
            while (_short[slot].Key != 0) slot = (slot + 1) & (shortCapacity - 1);
            _short[slot] = new ShortEntry { Key = key, Id = id };
        }
    }

    private const int MaxShortBytes = 7;

    /// <summary>One past the highest rank.</summary>
    public int Count { get; }

    public bool Contains(int id) => (uint)id < (uint)Count && _present[id];

    public ReadOnlySpan<byte> Bytes(int id) => _bytes.AsSpan(_starts[id], _starts[id + 1] - _starts[id]);

    public int SingleByteRank(byte value) => _singleByteRanks[value];

    /// <summary>The rank of exactly these bytes, or <see cref="None"/>.</summary>
    public int Find(ReadOnlySpan<byte> token)
    {
        if (token.Length <= MaxShortBytes)
        {
            ulong key = ShortKey(token);
            int mask = _short.Length - 1;
            for (int probe = ShortSlot(key); ; probe = (probe + 1) & mask)
            {
                ref ShortEntry entry = ref _short[probe];
                if (entry.Key == key) return entry.Id;
                if (entry.Key == 0) return None;
            }
        }

        uint hash = Hash(token);
        int slot = (int)hash & _mask;
        while (true)
        {
            ulong entry = _slots[slot];
            if (entry == 0) return None;
            if ((uint)(entry >> 32) == hash)
            {
                int id = (int)(uint)entry - 1;
                int start = _starts[id];
                if (_starts[id + 1] - start == token.Length && _bytes.AsSpan(start, token.Length).SequenceEqual(token)) return id;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Up to 7 bytes little-endian, the length in the top byte.</summary>
    private static ulong ShortKey(ReadOnlySpan<byte> s)
    {
        ulong key = (ulong)s.Length << 56;
        if (s.Length >= 4)
            return key | BinaryPrimitives.ReadUInt32LittleEndian(s) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[^4..]) << ((s.Length - 4) * 8));
        for (int i = 0; i < s.Length; i++) key |= (ulong)s[i] << (8 * i);
        return key;
    }

    private int ShortSlot(ulong key) => (int)((key * 0x9E3779B97F4A7C15) >> _shortShift);

    private static uint Hash(ReadOnlySpan<byte> s)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        ulong h = (ulong)s.Length * Multiplier;
        while (s.Length >= 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(s)) * Multiplier, 29);
            s = s[8..];
        }
        ulong tail = s.Length switch
        {
            0 => 0,
            >= 4 => BinaryPrimitives.ReadUInt32LittleEndian(s) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[^4..]) << 32),
            _ => s[0] | ((ulong)s[s.Length >> 1] << 8) | ((ulong)s[^1] << 16),
        };
        h = (h ^ tail) * Multiplier;
        return (uint)(h >> 32) ^ (uint)h;
    }
}
