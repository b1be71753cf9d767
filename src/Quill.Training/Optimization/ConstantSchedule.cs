// A learning rate that never changes.
namespace Quill.Training.Optimization;

public sealed class ConstantSchedule(float learningRate) : LearningRateSchedule
{
    public float LearningRate { get; } = learningRate;

    public override float At(long step) => LearningRate;
}
