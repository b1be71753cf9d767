// A deterministic SentencePiece-style vocabulary for synthetic models: specials, 256 byte tokens, then letter pieces.
namespace Quill.Models.Synthetic;

/// <summary>
/// Builds the tokens, scores and token types of a `tokenizer.ggml.model = llama` vocabulary of exactly V entries:
/// &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the byte-fallback tokens &lt;0x00&gt;..&lt;0xFF&gt;, then pieces in order of
/// decreasing score: single characters, "▁"-prefixed characters, letter pairs, "▁"+pairs, triples, ... so that English
/// text tokenizes into sensible multi-letter pieces and anything else falls back to bytes.
/// </summary>
public static class SyntheticVocabulary
{
    public const int UnknownId = 0, BosId = 1, EosId = 2;
    public const int MinimumSize = 3 + 256 + 1;
    private const string Space = "\u2581";
    private const int TypeNormal = 1, TypeUnknown = 2, TypeControl = 3, TypeByte = 6;

    public static (string[] Tokens, float[] Scores, int[] Types) Build(int size)
    {
        if (size < MinimumSize)
            throw new ArgumentOutOfRangeException(nameof(size), $"a synthetic vocabulary needs at least {MinimumSize} tokens, {size} were asked for");
        var tokens = new List<string>(size) { "<unk>", "<s>", "</s>" };
        var types = new List<int>(size) { TypeUnknown, TypeControl, TypeControl };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(TypeByte); }
        var seen = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (var piece in Pieces())
        {
            if (tokens.Count == size) break;
            if (!seen.Add(piece)) continue;
            tokens.Add(piece);
            types.Add(TypeNormal);
        }
        var scores = new float[tokens.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = types[i] == TypeNormal ? -(i - 259) : 0f;
        return (tokens.ToArray(), scores, types.ToArray());
    }

    private static IEnumerable<string> Pieces()
    {
        const string lower = "etaoinshrdlcumwfgypbvkjxqz";
        const string singles = "etaoinshrdlcumwfgypbvkjxqzETAOINSHRDLCUMWFGYPBVKJXQZ0123456789.,!?'\"-:;()";
        yield return Space;
        foreach (char ch in singles) yield return ch.ToString();
        foreach (char ch in singles) yield return Space + ch;
        foreach (char a in lower) foreach (char b in lower) yield return $"{a}{b}";
        foreach (char a in lower) foreach (char b in lower) yield return $"{Space}{a}{b}";
        foreach (char a in lower) foreach (char b in lower) foreach (char c in lower) yield return $"{a}{b}{c}";
        foreach (char a in lower) foreach (char b in lower) foreach (char c in lower) yield return $"{Space}{a}{b}{c}";
        foreach (char a in lower) foreach (char b in lower) foreach (char c in lower) foreach (char d in lower) yield return $"{a}{b}{c}{d}";
    }
}
