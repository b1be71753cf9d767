// Packing plain text: EOS between documents, block boundaries, targets shifted by one, deterministic disjoint splits.
using Quill.Training.Data;
using T = Quill.Training.Tests.Data.ChatByteTokenizer;

namespace Quill.Training.Tests.Data;

public class PackedTextDatasetTests
{
    private static readonly T Tokenizer = new();

    [Fact]
    public void Documents_are_joined_with_eos_and_no_bos()
    {
        PackedTextDataset data = PackedTextDataset.FromDocuments(["ab", "cde"], Tokenizer, 2, "corpus");
        Assert.Equal([.. T.Ids("ab"), T.Eos, .. T.Ids("cde"), T.Eos], data.Tokens.ToArray());
    }

    // "ab" "cde" -> 7 tokens; block b covers [b*S, b*S+S+1).
    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    [InlineData(6, 1)]
    public void Block_count_and_boundaries(int sequenceLength, int blocks)
    {
        PackedTextDataset data = PackedTextDataset.FromDocuments(["ab", "cde"], Tokenizer, sequenceLength, "corpus");
        Assert.Equal(blocks, data.Count);
        int[] tokens = data.Tokens.ToArray();
        for (int b = 0; b < data.Count; b++)
        {
            TrainingExample e = data[b];
            Assert.Equal(sequenceLength, e.Length);
            Assert.Equal(tokens[(b * sequenceLength)..(b * sequenceLength + sequenceLength)], e.Inputs);
            Assert.Equal(tokens[(b * sequenceLength + 1)..(b * sequenceLength + sequenceLength + 1)], e.Targets);
            for (int t = 0; t + 1 < e.Length; t++) Assert.Equal(e.Inputs[t + 1], e.Targets[t]);
        }
    }

    [Fact]
    public void A_corpus_shorter_than_one_block_is_a_one_line_error_naming_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => PackedTextDataset.FromDocuments(["ab", "cde"], Tokenizer, 7, "corpus.txt"));
        Assert.StartsWith("corpus.txt: ", e.Message);
        Assert.Contains("found 7", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.1, 1)]
    [InlineData(0.25, 3)]
    [InlineData(0.5, 5)]
    public void Tail_split_is_deterministic_disjoint_and_complete(double fraction, int held)
    {
        PackedTextDataset data = PackedTextDataset.FromDocuments(Docs(), Tokenizer, 4, "corpus");
        Assert.Equal(10, data.Count);
        (PackedTextDataset train, PackedTextDataset validation) = data.SplitTail(fraction);
        (PackedTextDataset train2, PackedTextDataset validation2) = data.SplitTail(fraction);
        Assert.Equal(held, validation.Count);
        Assert.Equal(train.BlockStarts.ToArray(), train2.BlockStarts.ToArray());
        Assert.Equal(validation.BlockStarts.ToArray(), validation2.BlockStarts.ToArray());
        Assert.Equal(data.BlockStarts.ToArray(), train.BlockStarts.ToArray().Concat(validation.BlockStarts.ToArray()).ToArray());
        Assert.Empty(train.BlockStarts.ToArray().Intersect(validation.BlockStarts.ToArray()));
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(3, 3)]
    [InlineData(10, 1)]
    public void Every_kth_split_is_deterministic_disjoint_and_complete(int k, int held)
    {
        PackedTextDataset data = PackedTextDataset.FromDocuments(Docs(), Tokenizer, 4, "corpus");
        (PackedTextDataset train, PackedTextDataset validation) = data.SplitEveryKth(k);
        Assert.Equal(held, validation.Count);
        Assert.Equal(validation.BlockStarts.ToArray(), data.SplitEveryKth(k).Validation.BlockStarts.ToArray());
        Assert.Empty(train.BlockStarts.ToArray().Intersect(validation.BlockStarts.ToArray()));
        Assert.Equal(data.BlockStarts.ToArray(), train.BlockStarts.ToArray().Concat(validation.BlockStarts.ToArray()).Order().ToArray());
        Assert.All(validation.BlockStarts.ToArray(), s => Assert.Equal(k - 1, s / 4 % k));
    }

    [Fact]
    public void Files_are_documents()
    {
        string dir = Directory.CreateTempSubdirectory("quill-packed").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.txt"), "ab");
            File.WriteAllText(Path.Combine(dir, "b.txt"), "cde");
            PackedTextDataset data = PackedTextDataset.FromFiles([Path.Combine(dir, "a.txt"), Path.Combine(dir, "b.txt")], Tokenizer, 2);
            Assert.Equal([.. T.Ids("ab"), T.Eos, .. T.Ids("cde"), T.Eos], data.Tokens.ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // 41 tokens: ten blocks of 4.
    private static string[] Docs() => ["abcdefghi", "jklmnopqrs", "tuvwxyz012345", "6789ab"];
}
