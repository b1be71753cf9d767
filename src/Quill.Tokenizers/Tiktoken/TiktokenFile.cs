// Reads a .tiktoken rank file (one "<base64 token> <rank>" per line) into ranks.
using System.Buffers.Text;
using System.Text;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// Parses the bytes of a .tiktoken file. Empty lines are skipped (files end with a newline); anything else must be
/// base64, one space, a decimal rank. Ranks and token bytes must be unique, and every single byte must have a rank
/// (byte-pair merging starts from single bytes). Errors are <see cref="InvalidDataException"/> naming the line.
/// Microsoft.ML.Tokenizers' data packages use a compact variant: a first line "Capacity: N", then the base64 alone,
/// the rank being the entry's index; that variant is read too.
/// </summary>
internal static class TiktokenFile
{
    private const int MaxRank = 1 << 26;

    public static TiktokenRanks Parse(ReadOnlySpan<byte> content, string source)
    {
        var tokens = new List<byte[]?>();
        var rankLines = new Dictionary<int, int>();
        var byteLines = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        int line = 0;
        int entries = 0;
        bool implicitRanks = content.StartsWith("Capacity:"u8);
        if (implicitRanks)
        {
            int newline = content.IndexOf((byte)'\n');
            content = newline < 0 ? default : content[(newline + 1)..];
            line++;
        }
        while (!content.IsEmpty)
        {
            line++;
            int newline = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> text = newline < 0 ? content : content[..newline];
            content = newline < 0 ? default : content[(newline + 1)..];
            if (!text.IsEmpty && text[^1] == '\r') text = text[..^1];
            if (text.IsEmpty) continue;

            int space = text.IndexOf((byte)' ');
            int rank = entries;
            ReadOnlySpan<byte> base64 = text;
            if (space >= 0 || !implicitRanks)
            {
                if (space <= 0 || text[(space + 1)..].IndexOf((byte)' ') >= 0) throw Malformed(source, line, $"'{Shorten(text)}'");
                base64 = text[..space];
                ReadOnlySpan<byte> rankText = text[(space + 1)..];
                if (!Utf8Parser.TryParse(rankText, out rank, out int consumed) || consumed != rankText.Length || rank < 0 || rank > MaxRank)
                    throw Malformed(source, line, $"rank '{Shorten(rankText)}'");
            }

            byte[] token = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
            if (Base64.DecodeFromUtf8(base64, token, out _, out int written) != System.Buffers.OperationStatus.Done || written == 0)
                throw Malformed(source, line, $"invalid base64 '{Shorten(base64)}'");
            if (written != token.Length) token = token[..written];

            if (rankLines.TryGetValue(rank, out int firstLine)) throw Malformed(source, line, $"rank {rank} again (first on line {firstLine})");
            if (byteLines.TryGetValue(token, out firstLine)) throw Malformed(source, line, $"the token of line {firstLine} again");
            rankLines.Add(rank, line);
            byteLines.Add(token, line);
            while (tokens.Count <= rank) tokens.Add(null);
            tokens[rank] = token;
            entries++;
        }
        if (entries == 0) throw Malformed(source, Math.Max(line, 1), "an empty file");

        var ranks = new TiktokenRanks([.. tokens]);
        for (int b = 0; b < 256; b++)
        {
            if (ranks.SingleByteRank((byte)b) == TiktokenRanks.None)
                throw new InvalidDataException($"{source}: expected a token for every single byte, found none for byte 0x{b:X2}");
        }
        return ranks;
    }

    private static InvalidDataException Malformed(string source, int line, string found) =>
        new($"{source}: expected '<base64> <rank>' on line {line}, found {found}");

    private static string Shorten(ReadOnlySpan<byte> text)
    {
        string s = Encoding.UTF8.GetString(text.Length > 40 ? text[..40] : text);
        return text.Length > 40 ? s + "..." : s;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
