// A string → int table looked up by a polynomial hash that grows one char at a time.
using System.Runtime.CompilerServices;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// WordPiece asks "is s[start..end) a token?" for every end from the longest down. With the hash
/// h(s[..k+1]) = h(s[..k]) * P + s[k], the hashes of all those prefixes come from one pass over the word, so each
/// question costs one probe (and one span comparison on a hash match) instead of hashing the candidate again.
/// Read-only after construction; thread-safe to read.
/// </summary>
internal sealed class PrefixHashTable
{
    public const ulong Seed = 0xCBF29CE484222325;
    private const ulong Prime = 0x100000001B3;

    private readonly int[] _buckets;
    private readonly int _mask;
    private readonly ulong[] _hashes;
    private readonly int[] _next;
    private readonly string[] _keys;
    private readonly int[] _values;

    public PrefixHashTable(IReadOnlyCollection<KeyValuePair<string, int>> entries)
    {
        int capacity = 16;
        while (capacity < entries.Count * 2) capacity *= 2;
        _buckets = new int[capacity];
        _buckets.AsSpan().Fill(-1);
        _mask = capacity - 1;
        _hashes = new ulong[entries.Count];
        _next = new int[entries.Count];
        _keys = new string[entries.Count];
        _values = new int[entries.Count];
        int n = 0;
        foreach ((string key, int value) in entries)
        {
            ulong hash = Hash(key);
            int bucket = Bucket(hash);
            _hashes[n] = hash;
            _keys[n] = key;
            _values[n] = value;
            _next[n] = _buckets[bucket];
            _buckets[bucket] = n;
            LongestKey = Math.Max(LongestKey, key.Length);
            n++;
        }
    }

    /// <summary>Length in chars of the longest key.</summary>
    public int LongestKey { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Extend(ulong hash, char c) => (hash ^ c) * Prime;

    public static ulong Hash(ReadOnlySpan<char> key)
    {
        ulong hash = Seed;
        foreach (char c in key) hash = Extend(hash, c);
        return hash;
    }

    /// <summary>The value of <paramref name="key"/>, whose hash is <paramref name="hash"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong hash, ReadOnlySpan<char> key)
    {
        for (int i = _buckets[Bucket(hash)]; i >= 0; i = _next[i])
        {
            if (_hashes[i] == hash && key.SequenceEqual(_keys[i])) return _values[i];
        }
        return -1;
    }

    public int Find(ReadOnlySpan<char> key) => Find(Hash(key), key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bucket(ulong hash) => (int)((hash ^ (hash >> 29)) * 0x9E3779B97F4A7C15 >> 32) & _mask;
}
