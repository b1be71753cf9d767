// The shared part of the samplers: per-epoch seeded orders, batches of indices, resuming at (epoch, batch).
using Quill.Generation;
using Quill.Tensors;

namespace Quill.Training.Data;

/// <summary>
/// Splits each epoch's example order into batches of <see cref="BatchSize"/> indices (the last one may be smaller).
/// An epoch's order depends only on the seed and the epoch number, so training resumes at any (epoch, batch) by
/// rebuilding that epoch's order, without replaying earlier batches.
/// </summary>
public abstract class BatchSampler
{
    private readonly ulong _seed;

    protected BatchSampler(IExampleLengths dataset, int batchSize, ulong seed)
    {
        BatchSizeCheck.EnsureOneBatch(dataset, batchSize);
        Dataset = dataset;
        BatchSize = batchSize;
        _seed = seed;
    }

    public IExampleLengths Dataset { get; }

    public int BatchSize { get; }

    public int BatchesPerEpoch => (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of <paramref name="epoch"/> from batch <paramref name="startBatch"/> on.</summary>
    public IEnumerable<int[]> Batches(int epoch, int startBatch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startBatch);
        int[][] batches = EpochBatches(RandomFor(epoch));
        for (int b = startBatch; b < batches.Length; b++) yield return batches[b];
    }

    /// <summary>Every batch of one epoch, drawn with <paramref name="random"/>.</summary>
    protected abstract int[][] EpochBatches(Xoshiro256StarStar random);

    private Xoshiro256StarStar RandomFor(int epoch)
    {
        ulong state = _seed;
        ulong epochSeed = SplitMix64.Next(ref state) ^ (ulong)epoch * 0xD1B54A32D192ED03UL;
        return new Xoshiro256StarStar(epochSeed);
    }

    /// <summary>Fisher–Yates in place.</summary>
    protected static void Shuffle<T>(Span<T> items, Xoshiro256StarStar random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)(random.NextUInt64() % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Consecutive runs of <see cref="BatchSize"/> from <paramref name="order"/>.</summary>
    protected int[][] Chunk(int[] order)
    {
        var batches = new int[(order.Length + BatchSize - 1) / BatchSize][];
        for (int b = 0; b < batches.Length; b++) batches[b] = order[(b * BatchSize)..Math.Min(order.Length, (b + 1) * BatchSize)];
        return batches;
    }
}
