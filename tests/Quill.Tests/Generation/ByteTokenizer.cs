// Test double: one token per UTF-8 byte plus BOS and EOS; not a real vocabulary.
using System.Text;
using Quill.Tokenizers;

namespace Quill.Tests.Generation;

/// <summary>Ids 0..255 are the bytes themselves, 256 is BOS, 257 is EOS.</summary>
internal sealed class ByteTokenizer : ITokenizer
{
    public const int Bos = 256;
    public const int Eos = 257;

    public int VocabSize => 258;
    public int BosId => Bos;
    public int EosId => Eos;
    public bool IsEndOfGeneration(int id) => id == Eos;

    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        int[] bytes = Ids(text);
        return addSpecial ? [Bos, .. bytes] : bytes;
    }

    public byte[] TokenBytes(int id) => id < 256 ? [(byte)id] : [];

    public string TokenText(int id) => id switch { Bos => "<s>", Eos => "</s>", _ => $"<0x{id:X2}>" };

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids) if (id < 256) bytes.Add((byte)id);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The byte tokens of <paramref name="text"/>, no specials.</summary>
    public static int[] Ids(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
