// Test double: one token per UTF-8 byte plus BOS, EOS and ChatML's two specials; not a real vocabulary.
using System.Text;
using Quill.Tokenizers;

namespace Quill.Training.Tests.Data;

/// <summary>Ids 0..255 are bytes; 256 BOS "&lt;s&gt;", 257 EOS "&lt;/s&gt;", 258 "&lt;|im_start|&gt;", 259 "&lt;|im_end|&gt;" (ends a turn).</summary>
internal sealed class ChatByteTokenizer : Tokenizer
{
    public const int Bos = 256, Eos = 257, ImStart = 258, ImEnd = 259;
    private static readonly string[] Specials = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"];

    public override int VocabSize => 260;
    public override int BosId => Bos;
    public override int EosId => Eos;
    public override bool IsEndOfGeneration(int id) => id is Eos or ImEnd;
    public override bool IsSpecial(int id) => id >= 256;

    protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output)
    {
        if (addSpecial) output.Add(Bos, 0, 0);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length;)
        {
            int special = parseSpecial ? SpecialAt(text[i..]) : -1;
            if (special >= 0)
            {
                output.Add(256 + special, i, i + Specials[special].Length);
                i += Specials[special].Length;
                continue;
            }
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int chars);
            int count = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < count; b++) output.Add(utf8[b], i, i + chars);
            i += chars;
        }
    }

    private static int SpecialAt(ReadOnlySpan<char> text)
    {
        for (int s = 0; s < Specials.Length; s++) if (text.StartsWith(Specials[s], StringComparison.Ordinal)) return s;
        return -1;
    }

    public override byte[] TokenBytes(int id) => id < 256 ? [(byte)id] : Encoding.UTF8.GetBytes(Specials[id - 256]);

    public override string TokenText(int id) => id < 256 ? $"<0x{id:X2}>" : Specials[id - 256];

    public override int TokenToId(ReadOnlySpan<char> token)
    {
        int s = SpecialAt(token);
        return s >= 0 && token.Length == Specials[s].Length ? 256 + s : -1;
    }

    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>();
        foreach (int id in ids) if (id < 256 || !skipSpecialTokens) bytes.AddRange(TokenBytes(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The byte tokens of <paramref name="text"/>, no specials.</summary>
    public static int[] Ids(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
