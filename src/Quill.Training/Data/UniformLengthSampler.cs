// Batches of examples of similar length, so dynamic padding wastes little; not a bucketing by fixed boundaries.
using Quill.Generation;

namespace Quill.Training.Data;

/// <summary>
/// Each epoch: shuffle all indices, stable-sort them by length (so equal lengths stay in random order), cut the sorted
/// order into batches, and shuffle the order of the batches. Every batch holds neighbours in length; which examples
/// share a batch and in what order batches come changes from epoch to epoch.
/// </summary>
public sealed class UniformLengthSampler(IExampleLengths dataset, int batchSize, ulong seed) : BatchSampler(dataset, batchSize, seed)
{
    protected override int[][] EpochBatches(Xoshiro256StarStar random)
    {
        int[] order = [.. Enumerable.Range(0, Dataset.Count)];
        Shuffle(order.AsSpan(), random);
        int[] lengths = [.. order.Select(Dataset.LengthOf)];
        int[] sorted = [.. Enumerable.Range(0, order.Length).OrderBy(i => lengths[i]).Select(i => order[i])];
        int[][] batches = Chunk(sorted);
        Shuffle(batches.AsSpan(), random);
        return batches;
    }
}
