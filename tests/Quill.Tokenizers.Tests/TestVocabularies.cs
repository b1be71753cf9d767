// Small handmade vocabularies whose expected ids can be worked out by hand; not real model vocabularies.
using Quill.Tokenizers.Models.Bpe;

namespace Quill.Tokenizers.Tests;

internal static class TestVocabularies
{
    public const int Unknown = 0, Bos = 1, Eos = 2, FirstByte = 3;
    public const int Normal = 1, UnknownType = 2, Control = 3, UserDefined = 4, ByteType = 6;

    /// <summary>
    /// SentencePiece: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 &lt;0xXX&gt; tokens (ids 3..258), then the pieces below
    /// with their scores, then <paramref name="extra"/> (text, score, type).
    /// </summary>
    public static GgufVocabulary SentencePiece(params (string Text, float Score, int Type)[] extra)
    {
        var tokens = new List<(string Text, float Score, int Type)>
        {
            ("<unk>", 0, UnknownType), ("<s>", 0, Control), ("</s>", 0, Control),
        };
        for (int b = 0; b < 256; b++) tokens.Add(($"<0x{b:X2}>", 0, ByteType));
        tokens.AddRange(SentencePiecePieces);
        tokens.AddRange(extra);
        return new GgufVocabulary("llama", null, [.. tokens.Select(t => t.Text)], [.. tokens.Select(t => t.Score)],
            [.. tokens.Select(t => t.Type)], null, Bos, Eos, Unknown, -1, [Eos], AddBos: true, AddEos: false, AddSpacePrefix: true);
    }

    public static readonly (string Text, float Score, int Type)[] SentencePiecePieces =
    [
        ("▁", -1, Normal), ("h", -2, Normal), ("e", -2, Normal), ("l", -2, Normal), ("o", -2, Normal), ("w", -2, Normal),
        ("r", -2, Normal), ("d", -2, Normal), ("ll", -4, Normal), ("he", -5, Normal), ("or", -5.5f, Normal),
        ("llo", -6, Normal), ("wor", -6.5f, Normal), ("hello", -7, Normal), ("▁hello", -8, Normal), ("▁wor", -9, Normal),
        ("▁world", -9.5f, Normal), ("ld", -10, Normal),
    ];

    /// <summary>Id of a SentencePiece piece by text (ids follow the byte tokens).</summary>
    public static int Sp(string text)
    {
        int i = Array.FindIndex(SentencePiecePieces, p => p.Text == text);
        if (i < 0) throw new ArgumentException(text);
        return FirstByte + 256 + i;
    }

    public static int SpByte(byte b) => FirstByte + b;

    /// <summary>
    /// Byte-level BPE: ids 0..255 are the 256 byte characters in byte order, then the merge results below (in merge
    /// order, skipping "q u" whose result is deliberately not a token), then &lt;|endoftext|&gt; (control), then extras.
    /// </summary>
    public static GgufVocabulary ByteLevel(string? pre = "gpt-2", params (string Text, int Type)[] extra)
    {
        var tokens = new List<(string Text, int Type)>();
        for (int b = 0; b < 256; b++) tokens.Add((ByteLevelAlphabet.Encode((byte)b).ToString(), Normal));
        foreach (string merge in ByteLevelMerges)
        {
            string result = merge.Replace(" ", "");
            if (result != "qu") tokens.Add((result, Normal));
        }
        tokens.Add(("<|endoftext|>", Control));
        tokens.AddRange(extra);
        int endOfText = 256 + ByteLevelMerges.Length - 1;
        return new GgufVocabulary("gpt2", pre, [.. tokens.Select(t => t.Text)], null, [.. tokens.Select(t => t.Type)],
            ByteLevelMerges, endOfText, endOfText, -1, -1, [endOfText], AddBos: false, AddEos: false, AddSpacePrefix: false);
    }

    public static readonly string[] ByteLevelMerges =
    [
        "Ġ l", "o v", "Ġl ov", "e s", "Ġlov es", "M e", "Me g", "a t", "at r", "atr o", "atro n", "a a", "q u",
    ];

    /// <summary>Id of a byte-level token by text: a single character is its byte, a merge result follows them.</summary>
    public static int Bl(string text)
    {
        if (text.Length == 1) return ByteLevelAlphabet.Decode(text[0]);
        int id = 256;
        foreach (string merge in ByteLevelMerges)
        {
            string result = merge.Replace(" ", "");
            if (result == "qu") continue;
            if (result == text) return id;
            id++;
        }
        throw new ArgumentException(text);
    }

    public const int EndOfText = 256 + 12; // 12 merge results are tokens
}
