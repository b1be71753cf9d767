// GPT-2's reversible map between the 256 byte values and printable characters.
namespace Quill.Tokenizers.Models.Bpe;

/// <summary>
/// Printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 map to U+0100 upward in byte order
/// (so ' ' is 'Ġ' and '\n' is 'Ċ').
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    public static char Encode(byte value) => ByteToChar[value];

    /// <summary>The byte a character stands for, or -1 when it is not in the alphabet.</summary>
    public static int Decode(int codepoint) => (uint)codepoint < (uint)CharToByte.Length ? CharToByte[codepoint] : -1;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[512];
        map.AsSpan().Fill(-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }
}
