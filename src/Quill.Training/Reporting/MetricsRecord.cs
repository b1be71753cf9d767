// One logged training step as written to metrics.jsonl.
namespace Quill.Training.Reporting;

/// <param name="Step">The optimizer step the numbers belong to.</param>
/// <param name="Loss">Training loss of that step (NaN when it diverged; written as JSON null).</param>
/// <param name="LearningRate">Learning rate used for the step (<c>lr</c>).</param>
/// <param name="TokensPerSecond">Training throughput around the step (<c>tokens_per_s</c>).</param>
/// <param name="ValidationLoss">Validation loss when the step was evaluated (<c>val_loss</c>), else null.</param>
/// <param name="Extra">Further named numbers, e.g. DPO's <c>reward_accuracy</c>; written after the fixed fields in this order.</param>
public sealed record MetricsRecord(long Step, double Loss, double LearningRate, double TokensPerSecond,
    double? ValidationLoss = null, IReadOnlyDictionary<string, double>? Extra = null)
{
    public const string StepName = "step";
    public const string LossName = "loss";
    public const string LearningRateName = "lr";
    public const string TokensPerSecondName = "tokens_per_s";
    public const string ValidationLossName = "val_loss";

    public IReadOnlyDictionary<string, double> ExtraOrEmpty => Extra ?? EmptyExtra;

    private static readonly IReadOnlyDictionary<string, double> EmptyExtra = new Dictionary<string, double>();

    // Records compare Extra by reference; compare by content so a read-back record equals the written one.
    public bool Equals(MetricsRecord? other) =>
        other is not null && Step == other.Step && Loss.Equals(other.Loss) && LearningRate.Equals(other.LearningRate)
        && TokensPerSecond.Equals(other.TokensPerSecond) && Nullable.Equals(ValidationLoss, other.ValidationLoss)
        && ExtraOrEmpty.Count == other.ExtraOrEmpty.Count
        && ExtraOrEmpty.All(pair => other.ExtraOrEmpty.TryGetValue(pair.Key, out double value) && value.Equals(pair.Value));

    public override int GetHashCode() => HashCode.Combine(Step, Loss, LearningRate, TokensPerSecond, ValidationLoss, ExtraOrEmpty.Count);
}
