// The settings of a byte-level BPE training run.
namespace Quill.Tokenizers.Training;

/// <summary>What <see cref="BpeTrainer"/> learns: the vocabulary size, the least pair count worth a merge, the special tokens.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>The number of tokens wanted, special tokens and the 256 byte tokens included.</summary>
    public required int VocabularySize { get; init; }

    /// <summary>Pairs seen fewer times than this are never merged (0 or 1: every pair seen once may merge).</summary>
    public int MinFrequency { get; init; }

    /// <summary>Tokens given the first ids, in order; their occurrences in the corpus are cut out before counting.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>"];

    /// <summary>The fewest tokens a vocabulary can hold: the specials and the 256 bytes.</summary>
    public int MinimumVocabularySize => SpecialTokens.Count + 256;
}
