// What samplers and batchers need from a dataset: a count, examples by index and where they came from; not a loader.
namespace Quill.Training.Data;

/// <summary>A fixed list of training examples, read by index.</summary>
public interface ITrainingDataset
{
    /// <summary>The file (or files) the examples came from, for error messages.</summary>
    string Source { get; }

    int Count { get; }

    TrainingExample this[int index] { get; }

    /// <summary>The input length of example <paramref name="index"/> without building it.</summary>
    int LengthOf(int index);
}
