// The pre-tokenizer that tokenizer.ggml.pre names for a byte-level BPE vocabulary, as llama.cpp picks it; not HF's JSON config.
namespace Quill.Tokenizers.PreTokenizers;

/// <summary>One pass of a pre-tokenizer: it splits every word of the previous pass further.</summary>
internal enum SplitPass
{
    Gpt2,
    Llama3,
    Qwen2,
    DefaultPunctuationRuns,
    NumberRuns,
    AsciiDigitTriples,
}

/// <summary>
/// Splits text into the words byte-level BPE merges within. Holds llama.cpp's per-<c>tokenizer.ggml.pre</c> settings
/// that matter here: the passes, <c>ignore_merges</c> (a word that is itself a token is not merged) and
/// <c>clean_spaces</c> (detokenizing drops the space before <c>?!.,</c> and some apostrophes).
/// </summary>
internal sealed class BpePreTokenizer
{
    private static readonly SplitPass[] DefaultPasses =
        [SplitPass.DefaultPunctuationRuns, SplitPass.Gpt2, SplitPass.NumberRuns, SplitPass.AsciiDigitTriples];

    private BpePreTokenizer(string name, SplitPass[] passes, bool ignoreMerges, bool cleanSpaces, bool addBosByDefault)
    {
        Name = name;
        Passes = passes;
        IgnoreMerges = ignoreMerges;
        CleanSpaces = cleanSpaces;
        AddBosByDefault = addBosByDefault;
    }

    public string Name { get; }

    public IReadOnlyList<SplitPass> Passes { get; }

    public bool IgnoreMerges { get; }

    public bool CleanSpaces { get; }

    /// <summary>llama.cpp's add_bos before tokenizer.ggml.add_bos_token is read.</summary>
    public bool AddBosByDefault { get; }

    /// <summary>The pre-tokenizer for a <c>tokenizer.ggml.pre</c> value; null or empty means "default" (llama.cpp warns).</summary>
    public static BpePreTokenizer? TryFor(string? pre)
    {
        switch (pre)
        {
            case null or "" or "default":
                return new BpePreTokenizer("default", DefaultPasses, false, true, false);
            case "gpt-2" or "gpt2" or "phi-2" or "mpt" or "olmo" or "jais" or "trillion" or "exaone4":
                return new BpePreTokenizer(pre, [SplitPass.Gpt2], false, pre != "trillion", false);
            case "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2":
                return new BpePreTokenizer(pre, [SplitPass.Llama3], true, true, true);
            case "dbrx" or "smaug-bpe":
                return new BpePreTokenizer(pre, [SplitPass.Llama3], false, true, false);
            case "qwen2" or "deepseek-r1-qwen" or "kormo" or "hunyuan":
                return new BpePreTokenizer(pre, [SplitPass.Qwen2], false, false, false);
            case "stablelm2" or "megrez":
                return new BpePreTokenizer(pre, [SplitPass.Qwen2], false, true, false);
            default:
                return null;
        }
    }

    /// <summary>Appends the words of <paramref name="text"/> as (start, length) in UTF-16 units.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> words)
    {
        if (text.IsEmpty) return;
        using var codepoints = new CodepointText(text);
        ReadOnlySpan<int> cps = codepoints.Codepoints;
        var lengths = new List<int> { codepoints.Count };
        var next = new List<int>();
        foreach (SplitPass pass in Passes)
        {
            next.Clear();
            int start = 0;
            foreach (int length in lengths)
            {
                RunPass(pass, cps, start, start + length, next);
                start += length;
            }
            (lengths, next) = (next, lengths);
        }

        int cp = 0;
        foreach (int length in lengths)
        {
            int charStart = codepoints.CharStart(cp);
            words.Add((charStart, codepoints.CharStart(cp + length) - charStart));
            cp += length;
        }
    }

    private static void RunPass(SplitPass pass, ReadOnlySpan<int> cps, int start, int end, List<int> lengths)
    {
        switch (pass)
        {
            case SplitPass.Gpt2: CodepointScanners.Gpt2(cps, start, end, lengths); break;
            case SplitPass.Llama3: CodepointScanners.Llama3(cps, start, end, 3, lengths); break;
            case SplitPass.Qwen2: CodepointScanners.Llama3(cps, start, end, 1, lengths); break;
            case SplitPass.DefaultPunctuationRuns: CodepointScanners.ClassRuns(cps, start, end, CodepointScanners.IsDefaultPunctuation, lengths); break;
            case SplitPass.NumberRuns: CodepointScanners.ClassRuns(cps, start, end, CodepointScanners.IsCollapsedNumber, lengths); break;
            case SplitPass.AsciiDigitTriples: CodepointScanners.AsciiDigitTriples(cps, start, end, lengths); break;
            default: throw new ArgumentOutOfRangeException(nameof(pass));
        }
    }
}
