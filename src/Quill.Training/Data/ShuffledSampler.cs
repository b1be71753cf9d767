// Batches of a seeded random permutation of the dataset each epoch; not length-aware.
using Quill.Generation;

namespace Quill.Training.Data;

/// <summary>A fresh permutation per epoch, cut into batches.</summary>
public sealed class ShuffledSampler(IExampleLengths dataset, int batchSize, ulong seed) : BatchSampler(dataset, batchSize, seed)
{
    protected override int[][] EpochBatches(Xoshiro256StarStar random)
    {
        int[] order = [.. Enumerable.Range(0, Dataset.Count)];
        Shuffle(order.AsSpan(), random);
        return Chunk(order);
    }
}
