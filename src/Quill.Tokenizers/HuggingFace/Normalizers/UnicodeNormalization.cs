// Unicode normalization (NFC, NFD, NFKC, NFKD) from our own tables, since invariant globalization disables .NET's.
using System.Globalization;
using System.Text;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

/// <summary>
/// UAX #15: full decomposition (canonical, or compatibility for the K forms; Hangul by arithmetic), canonical ordering
/// of marks by combining class, then for the C forms canonical composition of unblocked pairs. Tables come from
/// <see cref="UnicodeNormalizationData"/>.
/// </summary>
internal static class UnicodeNormalization
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    private const int NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, byte> Classes = ParseClasses();
    private static readonly Dictionary<int, int[]> CanonicalMap = ParseMap(UnicodeNormalizationData.Canonical);
    private static readonly Dictionary<int, int[]> CompatibilityMap = ParseMap(UnicodeNormalizationData.Compatibility);
    private static readonly Dictionary<long, int> Pairs = ParsePairs(out SecondsOfPairs);
    private static readonly HashSet<int> SecondsOfPairs;
    private static readonly byte[] BmpUnstable = BuildBmpUnstable(); // bit 0: NFC, 1: NFD, 2: NFKC, 3: NFKD

    /// <summary>A sufficient test: every char is a starter that no form changes or composes with.</summary>
    public static bool IsQuickNormalized(ReadOnlySpan<char> text, NormalizationForm form)
    {
        int bit = 1 << FormIndex(form);
        foreach (char c in text)
        {
            if (c < 0x300 && form == NormalizationForm.FormC) continue;
            if (c < 0xA0) continue;
            if ((BmpUnstable[c] & bit) != 0) return false;
        }
        return true;
    }

    /// <summary>End of the cluster starting at <paramref name="start"/>: one codepoint and the marks or jamo that may reorder or compose with it.</summary>
    public static int ClusterEnd(ReadOnlySpan<char> text, int start)
    {
        int i = start + Width(text, start);
        while (i < text.Length)
        {
            int cp = CodepointAt(text, i);
            if (ClassOf(cp) == 0 && !SecondsOfPairs.Contains(cp) && !IsHangulVowelOrTrailing(cp)) break;
            i += Width(text, i);
        }
        return i;
    }

    [ThreadStatic] private static List<int>? t_codepoints;

    /// <summary>Writes the normalized <paramref name="text"/> (room for 18 chars per input char suffices) and returns its length.</summary>
    public static int Normalize(ReadOnlySpan<char> text, Span<char> destination, NormalizationForm form)
    {
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        List<int> cps = t_codepoints ??= new List<int>(64);
        cps.Clear();
        for (int i = 0; i < text.Length; i += Width(text, i)) Decompose(CodepointAt(text, i), compatibility, cps);
        Reorder(cps);
        if (form is NormalizationForm.FormC or NormalizationForm.FormKC) Compose(cps);
        int written = 0;
        foreach (int cp in cps) written += new Rune(cp).EncodeToUtf16(destination[written..]);
        return written;
    }

    /// <summary>The whole string in <paramref name="form"/> (tests, and callers without offsets).</summary>
    public static string Normalize(string text, NormalizationForm form)
    {
        var output = new char[text.Length * 18 + 1];
        return new string(output, 0, Normalize(text, output, form));
    }

    private static void Decompose(int cp, bool compatibility, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int index = cp - SBase;
            output.Add(LBase + index / NCount);
            output.Add(VBase + index % NCount / TCount);
            if (index % TCount != 0) output.Add(TBase + index % TCount);
            return;
        }
        if (compatibility && CompatibilityMap.TryGetValue(cp, out int[]? compat)) output.AddRange(compat);
        else if (CanonicalMap.TryGetValue(cp, out int[]? canon)) output.AddRange(canon);
        else output.Add(cp);
    }

    private static void Reorder(List<int> cps)
    {
        // insertion sort of each run of non-starters by combining class (stable)
        for (int i = 1; i < cps.Count; i++)
        {
            int cp = cps[i];
            int cls = ClassOf(cp);
            if (cls == 0) continue;
            int j = i;
            while (j > 0 && ClassOf(cps[j - 1]) > cls)
            {
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    private static void Compose(List<int> cps)
    {
        if (cps.Count == 0) return;
        int starter = ClassOf(cps[0]) == 0 ? 0 : -1;
        int lastClass = starter == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cls = ClassOf(cp);
            if (starter >= 0 && (lastClass < cls || lastClass == 0 && write - 1 == starter) && TryCompose(cps[starter], cp, out int composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (cls == 0)
            {
                starter = write;
                lastClass = 0;
            }
            else
            {
                lastClass = cls;
            }
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return Pairs.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int ClassOf(int cp) => Classes.TryGetValue(cp, out byte cls) ? cls : 0;

    private static bool IsHangulVowelOrTrailing(int cp) => cp is >= VBase and < VBase + VCount or > TBase and < TBase + TCount;

    private static int Width(ReadOnlySpan<char> text, int i) =>
        char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;

    private static int CodepointAt(ReadOnlySpan<char> text, int i) =>
        Width(text, i) == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : char.IsSurrogate(text[i]) ? 0xFFFD : text[i];

    private static int FormIndex(NormalizationForm form) => form switch
    {
        NormalizationForm.FormC => 0,
        NormalizationForm.FormD => 1,
        NormalizationForm.FormKC => 2,
        _ => 3,
    };

    private static byte[] BuildBmpUnstable()
    {
        var table = new byte[0x10000];
        for (int cp = 0; cp < 0x10000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
            {
                table[cp] = 0xF; // astral: check the slow way
                continue;
            }
            bool mark = ClassOf(cp) != 0;
            bool second = SecondsOfPairs.Contains(cp) || IsHangulVowelOrTrailing(cp);
            bool syllable = cp is >= SBase and < SBase + SCount;
            bool canonical = CanonicalMap.ContainsKey(cp), compat = CompatibilityMap.ContainsKey(cp);
            byte bits = 0;
            if (mark || second || canonical) bits |= 1;
            if (mark || canonical || syllable) bits |= 2;
            if (mark || second || canonical || compat) bits |= 4;
            if (mark || canonical || compat || syllable) bits |= 8;
            table[cp] = bits;
        }
        return table;
    }

    private static Dictionary<int, byte> ParseClasses()
    {
        var map = new Dictionary<int, byte>();
        foreach (string entry in UnicodeNormalizationData.CombiningClasses.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.IndexOf(':');
            map[Hex(entry[..colon])] = byte.Parse(entry.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        }
        return map;
    }

    private static Dictionary<int, int[]> ParseMap(string data)
    {
        var map = new Dictionary<int, int[]>();
        foreach (string entry in data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.IndexOf(':');
            map[Hex(entry[..colon])] = [.. entry[(colon + 1)..].Split(' ').Select(Hex)];
        }
        return map;
    }

    private static Dictionary<long, int> ParsePairs(out HashSet<int> seconds)
    {
        var map = new Dictionary<long, int>();
        seconds = [];
        foreach (string entry in UnicodeNormalizationData.Compositions.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = entry.IndexOf(' '), colon = entry.IndexOf(':');
            int first = Hex(entry[..space]), second = Hex(entry[(space + 1)..colon]);
            map[((long)first << 21) | (uint)second] = Hex(entry[(colon + 1)..]);
            seconds.Add(second);
        }
        return map;
    }

    private static int Hex(string text) => int.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
