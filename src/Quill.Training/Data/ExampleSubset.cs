// A view of some of a dataset's examples by index, for held-out splits; copies nothing.
namespace Quill.Training.Data;

/// <summary>The examples of <paramref name="dataset"/> at <paramref name="indices"/>, in that order.</summary>
public sealed class ExampleSubset(ITrainingDataset dataset, int[] indices, string name) : ITrainingDataset
{
    public string Source => $"{dataset.Source} ({name})";
    public int Count => indices.Length;
    public TrainingExample this[int index] => dataset[indices[index]];
    public int LengthOf(int index) => dataset.LengthOf(indices[index]);

    /// <summary>Every <paramref name="k"/>-th example (the k−1-th, 2k−1-th, ...) held out; k &lt; 2 holds none out.</summary>
    public static (ITrainingDataset Train, ITrainingDataset? Validation) SplitEveryKth(ITrainingDataset dataset, int k)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (k < 2 || dataset.Count < k) return (dataset, null);
        var (train, validation) = HeldOut.EveryKth([.. Enumerable.Range(0, dataset.Count)], k);
        return (new ExampleSubset(dataset, train, "training split"), new ExampleSubset(dataset, validation, "validation split"));
    }
}
