// A deterministic GPT-2-style byte-level BPE vocabulary for synthetic models: 256 byte tokens, merged letter pieces, <|endoftext|>.
namespace Quill.Models.Synthetic;

/// <summary>
/// Builds the tokens, token types and merges of a `tokenizer.ggml.model = gpt2` vocabulary of exactly V entries, spelled
/// as GPT-2 spells them (each byte as its bytes_to_unicode character, "Ġ" for the space): the 256 byte tokens, then one
/// token per merge in rank order — space + letter, letter pairs, space + pairs, triples, space + triples, ... — and
/// &lt;|endoftext|&gt; last (BOS = EOS = V − 1, as in GPT-2). Every merge joins two earlier tokens into a later one.
/// </summary>
public static class SyntheticByteLevelVocabulary
{
    public const string EndOfText = "<|endoftext|>";
    public const int MinimumSize = 256 + 1;
    private const int TypeNormal = 1, TypeControl = 3;
    private const string Lower = "etaoinshrdlcumwfgypbvkjxqz";

    public static (string[] Tokens, int[] Types, string[] Merges) Build(int size)
    {
        if (size < MinimumSize)
            throw new ArgumentOutOfRangeException(nameof(size), $"a byte-level vocabulary needs at least {MinimumSize} tokens, {size} were asked for");
        var tokens = new List<string>(size);
        for (int b = 0; b < 256; b++) tokens.Add(ByteToChar(b).ToString());
        var merges = new List<string>();
        foreach (var (left, right) in Merges())
        {
            if (tokens.Count == size - 1) break;
            merges.Add($"{left} {right}");
            tokens.Add(left + right);
        }
        if (tokens.Count != size - 1)
            throw new ArgumentOutOfRangeException(nameof(size),
            $"a synthetic byte-level vocabulary holds at most {tokens.Count + 1} tokens, {size} were asked for");
        tokens.Add(EndOfText);
        var types = new int[tokens.Count];
        Array.Fill(types, TypeNormal);
        types[^1] = TypeControl;
        return (tokens.ToArray(), types, merges.ToArray());
    }

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in byte order.</summary>
    public static char ByteToChar(int b)
    {
        static bool Printable(int c) => c is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
        if (Printable(b)) return (char)b;
        int shifted = 0;
        for (int c = 0; c < b; c++) if (!Printable(c)) shifted++;
        return (char)(256 + shifted);
    }

    private static IEnumerable<(string Left, string Right)> Merges()
    {
        string space = ByteToChar(' ').ToString();
        foreach (char a in Lower) yield return (space, a.ToString());
        foreach (char a in Lower) foreach (char b in Lower) yield return (a.ToString(), b.ToString());
        foreach (char a in Lower) foreach (char b in Lower) yield return (space + a, b.ToString());
        foreach (char a in Lower) foreach (char b in Lower) foreach (char c in Lower) yield return ($"{a}{b}", c.ToString());
        foreach (char a in Lower) foreach (char b in Lower) foreach (char c in Lower) yield return ($"{space}{a}{b}", c.ToString());
        foreach (char a in Lower) foreach (char b in Lower) foreach (char c in Lower) foreach (char d in Lower) yield return ($"{a}{b}{c}", d.ToString());
    }
}
