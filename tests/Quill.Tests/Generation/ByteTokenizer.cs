// Test double: one token per UTF-8 byte plus BOS and EOS; not a real vocabulary.
using System.Text;
using Quill.Tokenizers;

namespace Quill.Tests.Generation;

/// <summary>Ids 0..255 are the bytes themselves, 256 is BOS, 257 is EOS.</summary>
internal sealed class ByteTokenizer : Tokenizer
{
    public const int Bos = 256;
    public const int Eos = 257;

    public override int VocabSize => 258;
    public override int BosId => Bos;
    public override int EosId => Eos;
    public override bool IsEndOfGeneration(int id) => id == Eos;
    public override bool IsSpecial(int id) => id >= 256;

    protected override void EncodeCore(ReadOnlySpan<char> text, bool addSpecial, bool parseSpecial, TokenBuffer output)
    {
        if (addSpecial) output.Add(Bos, 0, 0);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int chars);
            int count = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < count; b++) output.Add(utf8[b], i, i + chars);
            i += chars;
        }
    }

    public override byte[] TokenBytes(int id) => id < 256 ? [(byte)id] : [];

    public override string TokenText(int id) => id switch { Bos => "<s>", Eos => "</s>", _ => $"<0x{id:X2}>" };

    public override int TokenToId(ReadOnlySpan<char> token) => -1;

    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>();
        foreach (int id in ids) if (id < 256) bytes.Add((byte)id);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The byte tokens of <paramref name="text"/>, no specials.</summary>
    public static int[] Ids(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
