// Plain-text corpora tokenized, joined with EOS and cut into fixed-length blocks for pre-training.
using Quill.Tokenizers;

namespace Quill.Training.Data;

/// <summary>
/// Every document is tokenized without BOS and followed by EOS; all documents are concatenated and block b covers
/// tokens [b·S, b·S + S + 1): inputs are its first S tokens, targets its last S (shifted by one). Consecutive blocks
/// share one boundary token, so every token after the first is a target exactly once. A trailing remainder shorter than
/// S + 1 tokens is dropped. Splits are views on the same token array.
/// </summary>
public sealed class PackedTextDataset : ITrainingDataset
{
    private readonly int[] _tokens;
    private readonly int[] _blocks;

    private PackedTextDataset(string source, int[] tokens, int[] blocks, int sequenceLength)
    {
        Source = source;
        _tokens = tokens;
        _blocks = blocks;
        SequenceLength = sequenceLength;
    }

    public string Source { get; }

    /// <summary>S: the number of inputs (and targets) per block.</summary>
    public int SequenceLength { get; }

    /// <summary>Every token of the corpus, EOS between documents.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    public int Count => _blocks.Length;

    public int LengthOf(int index) => SequenceLength;

    /// <summary>The index of the first token of each block in <see cref="Tokens"/>.</summary>
    public ReadOnlySpan<int> BlockStarts => _blocks;

    public TrainingExample this[int index]
    {
        get
        {
            int start = _blocks[index];
            return new TrainingExample(_tokens[start..(start + SequenceLength)], _tokens[(start + 1)..(start + SequenceLength + 1)]);
        }
    }

    /// <summary>Reads each file as one document (UTF-8).</summary>
    public static PackedTextDataset FromFiles(IReadOnlyList<string> paths, ITokenizer tokenizer, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(paths);
        string source = paths.Count == 1 ? paths[0] : $"{paths.Count} files ({string.Join(", ", paths.Take(3))}{(paths.Count > 3 ? ", ..." : "")})";
        return FromDocuments(paths.Select(File.ReadAllText), tokenizer, sequenceLength, source);
    }

    /// <summary>Packs documents given as strings; <paramref name="source"/> names them in error messages.</summary>
    public static PackedTextDataset FromDocuments(IEnumerable<string> documents, ITokenizer tokenizer, int sequenceLength, string source)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        if (tokenizer.EosId < 0) ThrowNoEos(source);
        var tokens = new List<int>();
        foreach (string document in documents)
        {
            tokens.AddRange(tokenizer.Encode(document, addSpecial: false));
            tokens.Add(tokenizer.EosId);
        }
        int count = tokens.Count <= sequenceLength ? 0 : (tokens.Count - 1) / sequenceLength;
        if (count == 0) ThrowTooShort(source, tokens.Count, sequenceLength);
        var blocks = new int[count];
        for (int b = 0; b < count; b++) blocks[b] = b * sequenceLength;
        return new PackedTextDataset(source, [.. tokens], blocks, sequenceLength);
    }

    /// <summary>
    /// Holds out the last <paramref name="validationFraction"/> of the blocks (at least one when the fraction is
    /// positive, at least one left for training). Contiguous, so validation text never overlaps a training block except
    /// for the one shared boundary token.
    /// </summary>
    public (PackedTextDataset Train, PackedTextDataset Validation) SplitTail(double validationFraction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(validationFraction, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(validationFraction, 1.0);
        int held = validationFraction == 0 ? 0 : Math.Clamp((int)Math.Ceiling(Count * validationFraction), 1, Math.Max(0, Count - 1));
        return (Sub(_blocks[..(Count - held)], "train"), Sub(_blocks[(Count - held)..], "validation"));
    }

    /// <summary>Holds out every <paramref name="k"/>-th block (blocks k-1, 2k-1, ...), spreading validation over the corpus.</summary>
    public (PackedTextDataset Train, PackedTextDataset Validation) SplitEveryKth(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        var (train, validation) = HeldOut.EveryKth(_blocks, k);
        return (Sub(train, "train"), Sub(validation, "validation"));
    }

    private PackedTextDataset Sub(int[] blocks, string part) => new($"{Source} [{part}]", _tokens, blocks, SequenceLength);

    private static void ThrowNoEos(string source) =>
        throw new InvalidDataException($"{source}: a tokenizer with an EOS token was expected to separate documents, found none, in the tokenizer");

    private static void ThrowTooShort(string source, int tokens, int sequenceLength) =>
        throw new InvalidDataException(
            $"{source}: at least {sequenceLength + 1} tokens were expected for one block of {sequenceLength}, found {tokens}, in the whole corpus");
}
