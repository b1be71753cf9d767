// What a training loop asks of a task (language modelling, DPO, ...): its parameters and a loss over chosen examples.
using Quill.Training.Optimization;

namespace Quill.Training.Runs;

/// <summary>
/// The loop owns sampling (which example indices form each micro-batch), accumulation, clipping, the optimizer,
/// checkpoints and logging; the objective owns its data and model(s) and computes a loss and its gradients.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>What the optimizer updates, in a fixed order (checkpoints store them in it).</summary>
    ParameterSet Parameters { get; }

    /// <summary>Number of training examples; the loop samples indices in [0, count).</summary>
    int TrainingExampleCount { get; }

    /// <summary>Number of validation examples (0 when there is no held-out split).</summary>
    int ValidationExampleCount { get; }

    /// <summary>Length in tokens of training example <paramref name="index"/> (for uniform-length batching).</summary>
    int TrainingLengthOf(int index);

    /// <summary>Forward and backward over the training examples at <paramref name="indices"/>; adds to the gradients.</summary>
    MicroBatchResult Train(ReadOnlySpan<int> indices);

    /// <summary>Forward only over the validation examples at <paramref name="indices"/>; gradients are left alone.</summary>
    MicroBatchResult Evaluate(ReadOnlySpan<int> indices);
}

/// <summary>The mean loss of one micro-batch and the tokens it processed (padding excluded), for tokens/s.</summary>
public readonly record struct MicroBatchResult(float Loss, int Tokens);
