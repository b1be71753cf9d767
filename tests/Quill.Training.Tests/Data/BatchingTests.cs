// Dynamic padding, shuffled and uniform-length samplers: shapes, padding, determinism, resume, too-small datasets.
using Quill.Training.Data;

namespace Quill.Training.Tests.Data;

public class BatchingTests
{
    private const int PadId = 7;

    [Theory]
    [InlineData(new[] { 3, 5, 2 }, 5)]
    [InlineData(new[] { 1 }, 1)]
    [InlineData(new[] { 4, 4 }, 4)]
    public void Dynamic_padding_pads_to_the_longest_in_the_batch(int[] lengths, int longest)
    {
        ListDataset data = ListDataset.OfLengths(lengths);
        Batch batch = new DynamicPaddingBatcher(PadId).Collate(data, [.. Enumerable.Range(0, lengths.Length)]);
        Assert.Equal(lengths.Length, batch.BatchSize);
        Assert.Equal(longest, batch.SequenceLength);
        Assert.Equal(lengths, batch.Lengths);
        Assert.Equal(lengths.Length * longest, batch.Inputs.Length);
        for (int b = 0; b < lengths.Length; b++)
        {
            Assert.All(batch.InputRow(b)[..lengths[b]].ToArray(), v => Assert.Equal(b, v));
            Assert.All(batch.TargetRow(b)[..lengths[b]].ToArray(), v => Assert.Equal(b + 1000, v));
            Assert.All(batch.InputRow(b)[lengths[b]..].ToArray(), v => Assert.Equal(PadId, v));
            Assert.All(batch.TargetRow(b)[lengths[b]..].ToArray(), v => Assert.Equal(TrainingExample.IgnoreIndex, v));
        }
    }

    public static TheoryData<string> Samplers => ["shuffled", "uniform"];

    private static BatchSampler Make(string kind, ITrainingDataset data, int batchSize, ulong seed) => kind switch
    {
        "shuffled" => new ShuffledSampler(data, batchSize, seed),
        _ => new UniformLengthSampler(data, batchSize, seed),
    };

    // Mostly short examples, a few long ones: a skewed length distribution.
    private static ListDataset Skewed() =>
        ListDataset.OfLengths([.. Enumerable.Range(0, 101).Select(i => i % 10 == 0 ? 200 + i : 3 + i % 7)]);

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Every_example_appears_once_per_epoch(string kind)
    {
        BatchSampler sampler = Make(kind, Skewed(), 8, 42);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            int[][] batches = [.. sampler.Batches(epoch)];
            Assert.Equal(sampler.BatchesPerEpoch, batches.Length);
            Assert.Equal(Enumerable.Range(0, 101), batches.SelectMany(b => b).Order());
        }
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Same_seed_same_batches_other_epoch_or_seed_other_batches(string kind)
    {
        int[] a = [.. Make(kind, Skewed(), 8, 42).Batches(1).SelectMany(b => b)];
        Assert.Equal(a, Make(kind, Skewed(), 8, 42).Batches(1).SelectMany(b => b));
        Assert.NotEqual(a, Make(kind, Skewed(), 8, 42).Batches(2).SelectMany(b => b));
        Assert.NotEqual(a, Make(kind, Skewed(), 8, 43).Batches(1).SelectMany(b => b));
    }

    [Theory]
    [InlineData("shuffled", 0, 0)]
    [InlineData("shuffled", 3, 5)]
    [InlineData("uniform", 2, 12)]
    [InlineData("uniform", 5, 13)]
    public void Resuming_at_a_batch_gives_the_rest_of_the_epoch(string kind, int epoch, int start)
    {
        int[][] whole = [.. Make(kind, Skewed(), 8, 9).Batches(epoch)];
        int[][] resumed = [.. Make(kind, Skewed(), 8, 9).Batches(epoch, start)];
        Assert.Equal(whole.Skip(start), resumed);
    }

    [Fact]
    public void Uniform_length_batches_pad_far_less_than_shuffled_ones()
    {
        ListDataset data = Skewed();
        var batcher = new DynamicPaddingBatcher(PadId);
        long Padding(BatchSampler s) => s.Batches(0).Sum(b => (long)batcher.Collate(data, b).PaddingCount);
        long uniform = Padding(new UniformLengthSampler(data, 8, 1));
        long shuffled = Padding(new ShuffledSampler(data, 8, 1));
        Assert.True(uniform * 4 < shuffled, $"uniform padding {uniform}, shuffled {shuffled}");
    }

    [Theory]
    [InlineData("shuffled", 3, 4)]
    [InlineData("uniform", 1, 2)]
    [InlineData("uniform", 0, 1)]
    public void A_dataset_smaller_than_one_batch_is_a_one_line_error(string kind, int count, int batchSize)
    {
        ListDataset data = ListDataset.OfLengths([.. Enumerable.Repeat(2, count)]);
        var e = Assert.Throws<InvalidDataException>(() => Make(kind, data, batchSize, 0));
        Assert.StartsWith("list.jsonl: ", e.Message);
        Assert.Contains($"batch of {batchSize} examples", e.Message);
        Assert.Contains($"found {count} example", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
