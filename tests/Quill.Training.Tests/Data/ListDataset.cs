// Test double: a dataset over an in-memory list of examples; not a loader.
using Quill.Training.Data;

namespace Quill.Training.Tests.Data;

internal sealed class ListDataset(string source, IReadOnlyList<TrainingExample> examples) : ITrainingDataset
{
    public string Source => source;
    public int Count => examples.Count;
    public TrainingExample this[int index] => examples[index];
    public int LengthOf(int index) => examples[index].Length;

    /// <summary>Examples of the given lengths; inputs are the example's index, targets its index + 1000.</summary>
    public static ListDataset OfLengths(params int[] lengths) => new("list.jsonl",
        [.. lengths.Select((n, i) => new TrainingExample(Enumerable.Repeat(i, n).ToArray(), Enumerable.Repeat(i + 1000, n).ToArray()))]);
}
