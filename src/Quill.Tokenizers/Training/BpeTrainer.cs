// Learns a byte-level BPE (Hugging Face's BpeTrainer with the ByteLevel pre-tokenizer) from text.
using System.Text;
using Quill.Tokenizers.HuggingFace.PreTokenizers;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Training;

/// <summary>
/// Feed text with <see cref="AddText"/> or <see cref="AddFile"/>: it is cut at special tokens, split into words by the
/// GPT-2 pattern and the words counted. <see cref="Train"/> then starts from the specials and the 256 byte tokens
/// (GPT-2's printable alphabet, in code point order) and merges the most frequent adjacent pair until the vocabulary
/// holds <see cref="BpeTrainerOptions.VocabularySize"/> tokens; ties go to the pair with the smaller (left, right) ids,
/// as Hugging Face breaks them. The same text gives the same tokenizer.
/// </summary>
public sealed class BpeTrainer
{
    private const int FileChunkChars = 1 << 20;

    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);
    private readonly List<int> _lengths = [];

    public BpeTrainer(BpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (string special in options.SpecialTokens)
        {
            if (string.IsNullOrEmpty(special)) throw new ArgumentException("special tokens: expected non-empty text, found an empty token");
        }
        if (options.SpecialTokens.Distinct(StringComparer.Ordinal).Count() != options.SpecialTokens.Count)
        {
            throw new ArgumentException($"special tokens: expected each once, found a repeat in {string.Join(" ", options.SpecialTokens)}");
        }
        if (options.VocabularySize < options.MinimumVocabularySize)
        {
            throw new ArgumentException(
                $"vocabulary size: expected at least {options.MinimumVocabularySize} (256 bytes + {options.SpecialTokens.Count} special tokens), found " +
                    $"{options.VocabularySize}");
        }
        Options = options;
    }

    public BpeTrainerOptions Options { get; }

    /// <summary>Distinct words counted so far.</summary>
    public int DistinctWords => _wordCounts.Count;

    /// <summary>Words counted so far, repeats included.</summary>
    public long TotalWords { get; private set; }

    /// <summary>Counts the words of <paramref name="text"/>, skipping the special tokens in it.</summary>
    public void AddText(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            (int at, int length) = NextSpecial(text);
            if (at < 0)
            {
                CountWords(text);
                return;
            }
            CountWords(text[..at]);
            text = text[(at + length)..];
        }
    }

    /// <summary>Counts the words of a UTF-8 text file, read in chunks cut after a newline between non-spaces (where the pattern splits anyway).</summary>
    public void AddFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[FileChunkChars];
        int filled = 0;
        while (true)
        {
            int read = reader.ReadBlock(buffer, filled, buffer.Length - filled);
            filled += read;
            if (read == 0 || filled < buffer.Length)
            {
                AddText(buffer.AsSpan(0, filled));
                return;
            }
            int cut = LastSafeCut(buffer.AsSpan(0, filled));
            if (cut <= 0)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
                continue;
            }
            AddText(buffer.AsSpan(0, cut));
            buffer.AsSpan(cut, filled - cut).CopyTo(buffer);
            filled -= cut;
        }
    }

    private static int LastSafeCut(ReadOnlySpan<char> text)
    {
        // "x\nY" splits as "x", "\n", "Y" whole or cut after the newline; a longer space run before the cut would not.
        for (int i = text.Length - 1; i > 1; i--)
        {
            if (text[i - 1] == '\n' && !char.IsWhiteSpace(text[i - 2]) && !char.IsWhiteSpace(text[i]) && !char.IsLowSurrogate(text[i])) return i;
        }
        return 0;
    }

    /// <summary>Learns the merges from the words counted so far.</summary>
    public TrainedBpe Train(IProgress<int>? mergesDone = null)
    {
        var words = new List<(byte[] Bytes, long Count)>(_wordCounts.Count);
        foreach (string word in _wordCounts.Keys.Order(StringComparer.Ordinal)) words.Add((Encoding.UTF8.GetBytes(word), _wordCounts[word]));
        return BpeMergeLearner.Learn(Options, words, mergesDone);
    }

    private (int At, int Length) NextSpecial(ReadOnlySpan<char> text)
    {
        int best = -1, bestLength = 0;
        foreach (string special in Options.SpecialTokens)
        {
            int at = text.IndexOf(special.AsSpan(), StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best || (at == best && special.Length > bestLength)))
            {
                best = at;
                bestLength = special.Length;
            }
        }
        return (best, bestLength);
    }

    private void CountWords(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return;
        using var codepoints = new CodepointText(text);
        _lengths.Clear();
        ScannerSplitPattern.Scan(KnownSplitRegex.Gpt2, codepoints.Codepoints, _lengths);
        Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup = _wordCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        int cp = 0;
        foreach (int length in _lengths)
        {
            int start = codepoints.CharStart(cp);
            ReadOnlySpan<char> word = text[start..codepoints.CharStart(cp + length)];
            cp += length;
            lookup[word] = lookup.TryGetValue(word, out long count) ? count + 1 : 1;
            TotalWords++;
        }
    }
}
