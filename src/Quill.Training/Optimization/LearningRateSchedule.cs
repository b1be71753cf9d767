// The learning rate as a function of the optimizer step; the shapes themselves live in their own files.
namespace Quill.Training.Optimization;

public abstract class LearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/> (0-based, the number of steps already taken).</summary>
    public abstract float At(long step);
}
