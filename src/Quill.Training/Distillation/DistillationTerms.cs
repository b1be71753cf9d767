// What one distillation loss evaluation measured: the mixed loss and its two terms.
namespace Quill.Training.Distillation;

/// <param name="Loss">alpha·<paramref name="KdLoss"/> + (1 − alpha)·<paramref name="CeLoss"/>, what the gradient is of.</param>
/// <param name="KdLoss">T²·KL(softmax(teacher/T) ‖ softmax(student/T)), mean over the counted positions.</param>
/// <param name="CeLoss">The student's next-token cross-entropy, mean over the counted positions.</param>
/// <param name="Tokens">Positions counted (targets that are not ignored).</param>
public readonly record struct DistillationTerms(float Loss, double KdLoss, double CeLoss, int Tokens);
