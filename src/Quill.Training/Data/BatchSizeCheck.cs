// The one check every sampler makes before batching: at least one full batch of examples.
namespace Quill.Training.Data;

internal static class BatchSizeCheck
{
    public static void EnsureOneBatch(IExampleLengths dataset, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (dataset.Count < batchSize) ThrowTooSmall(dataset.Source, dataset.Count, batchSize);
    }

    private static void ThrowTooSmall(string source, int count, int batchSize) =>
        throw new InvalidDataException(
            $"{source}: at least one batch of {batchSize} examples was expected, found {count} example{(count == 1 ? "" : "s")}, the whole dataset");
}
