// What samplers and batchers need from a dataset: a count, examples by index and where they came from.
namespace Quill.Training.Data;

/// <summary>A fixed list of training examples, read by index.</summary>
public interface ITrainingDataset : IExampleLengths
{
    TrainingExample this[int index] { get; }
}
