// SentencePiece BPE as llama.cpp runs it (llm_tokenizer_spm): merge by score over codepoints, byte fallback; no pre-tokenizer.
using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Quill.Tokenizers.Models.SentencePiece;

/// <summary>
/// Spaces become '▁' (with one prepended at the start and after special tokens when add_space_prefix), then adjacent
/// symbols merge while their concatenation is a token, the highest score first (leftmost on ties). A final symbol
/// that is not a token is written as its UTF-8 bytes through the &lt;0xXX&gt; tokens.
/// <para>
/// When no token has a '▁' right after another character (true of Llama/Mistral vocabularies), no merge can cross
/// the start of a "▁word", so the text is merged word by word with a cache; otherwise it is merged whole.
/// </para>
/// </summary>
internal sealed class SentencePieceBpeModel : ITokenModel
{
    private const char SpaceMarker = '▁';
    private const int MaxCachedWords = 1 << 16;

    private readonly TokenTable _table;
    private readonly float[] _scores;
    private readonly bool _addSpacePrefix;
    private readonly int _unknownId;
    private readonly int[] _byteTokens = new int[256];
    private readonly bool _mergesStayInsideWords;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly byte[][] _rendered;

    public SentencePieceBpeModel(TokenTable table, float[]? scores, bool addSpacePrefix, int unknownId)
    {
        _table = table;
        _scores = scores ?? new float[table.Count];
        _addSpacePrefix = addSpacePrefix;
        _unknownId = unknownId;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++)
        {
            int id = table.Find($"<0x{b:X2}>");
            if (id < 0 && b < 0x80) id = table.Find(((char)b).ToString());
            _byteTokens[b] = id;
        }
        _mergesStayInsideWords = !table.Texts.Any(HasMarkerAfterOtherChar);
        _rendered = new byte[table.Count][];
        for (int id = 0; id < table.Count; id++) _rendered[id] = Render(id);
    }

    public byte[] RenderToken(int id) => _rendered[id];

    public void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        bool prefix = _addSpacePrefix && afterSpecial;
        int length = text.Length + (prefix ? 1 : 0);
        char[] buffer = ArrayPool<char>.Shared.Rent(length);
        try
        {
            Span<char> escaped = buffer.AsSpan(0, length);
            if (prefix) escaped[0] = SpaceMarker;
            text.Replace(escaped[(prefix ? 1 : 0)..], ' ', SpaceMarker);

            if (!_mergesStayInsideWords)
            {
                Merge(escaped, output);
                return;
            }
            int wordStart = 0;
            for (int i = 1; i < escaped.Length; i++)
            {
                if (escaped[i] == SpaceMarker && escaped[i - 1] != SpaceMarker)
                {
                    EncodeWord(escaped[wordStart..i], output);
                    wordStart = i;
                }
            }
            EncodeWord(escaped[wordStart..], output);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (_cacheLookup.TryGetValue(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int first = output.Count;
        Merge(word, output);
        if (_cache.Count >= MaxCachedWords) _cache.Clear();
        _cache.TryAdd(word.ToString(), output.GetRange(first, output.Count - first).ToArray());
    }

    private void Merge(ReadOnlySpan<char> text, List<int> output)
    {
        MergeScratch s = MergeScratch.ForThread();
        s.EnsureCapacity(text.Length);
        int count = 0;
        for (int i = 0; i < text.Length;)
        {
            int width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            s.Start[count] = i;
            s.Length[count] = width;
            s.Prev[count] = count - 1;
            i += width;
            s.Next[count] = i == text.Length ? -1 : count + 1;
            count++;
        }

        BigramQueue queue = s.Queue;
        queue.Clear();
        for (int i = 1; i < count; i++) TryAddBigram(s, text, i - 1, i);

        while (queue.Count > 0)
        {
            Bigram bigram = queue.Pop();
            int left = bigram.Left, right = bigram.Right;
            if (s.Length[left] == 0 || s.Length[right] == 0 || s.Length[left] + s.Length[right] != bigram.Size) continue;

            s.Length[left] += s.Length[right];
            s.Length[right] = 0;
            s.Next[left] = s.Next[right];
            if (s.Next[right] >= 0) s.Prev[s.Next[right]] = left;

            TryAddBigram(s, text, s.Prev[left], left);
            TryAddBigram(s, text, left, s.Next[left]);
        }

        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i != -1 && count > 0; i = s.Next[i])
        {
            ReadOnlySpan<char> symbol = text.Slice(s.Start[i], s.Length[i]);
            int id = _table.Find(symbol);
            if (id >= 0)
            {
                output.Add(id);
                continue;
            }
            int written = Encoding.UTF8.GetBytes(symbol, utf8);
            foreach (byte b in utf8[..written])
            {
                int byteId = _byteTokens[b] >= 0 ? _byteTokens[b] : _unknownId;
                if (byteId >= 0) output.Add(byteId);
            }
        }
    }

    private void TryAddBigram(MergeScratch s, ReadOnlySpan<char> text, int left, int right)
    {
        if (left < 0 || right < 0) return;
        int size = s.Length[left] + s.Length[right];
        int id = _table.Find(text.Slice(s.Start[left], size));
        if (id < 0) return;
        s.Queue.Push(new Bigram { Priority = _scores[id], Left = left, Right = right, Size = size });
    }

    private byte[] Render(int id)
    {
        TokenAttributes attributes = _table.Attributes[id];
        string text = _table.Texts[id];
        if ((attributes & (TokenAttributes.Unknown | TokenAttributes.Control)) != 0) return [];
        if ((attributes & TokenAttributes.UserDefined) != 0) return Encoding.UTF8.GetBytes(text);
        if ((attributes & TokenAttributes.Normal) != 0) return Encoding.UTF8.GetBytes(text.Replace(SpaceMarker, ' '));
        if ((attributes & TokenAttributes.Byte) != 0) return [ByteTokenValue(text)];
        return [];
    }

    /// <summary>The byte of a "&lt;0xXX&gt;" token: llama.cpp reads the two characters after "&lt;0x" as hex (strtol).</summary>
    internal static byte ByteTokenValue(string text)
    {
        int value = 0;
        for (int i = 3; i < Math.Min(5, text.Length); i++)
        {
            int digit = HexDigit(text[i]);
            if (digit < 0) break;
            value = value * 16 + digit;
        }
        return (byte)value;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static bool HasMarkerAfterOtherChar(string text)
    {
        for (int i = text.IndexOf(SpaceMarker, 1); i > 0; i = i + 1 < text.Length ? text.IndexOf(SpaceMarker, i + 1) : -1)
        {
            if (text[i - 1] != SpaceMarker) return true;
        }
        return false;
    }
}
