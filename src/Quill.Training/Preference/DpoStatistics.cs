// What one DPO micro-batch measured (loss, implicit rewards, accuracy).
namespace Quill.Training.Preference;

/// <summary>
/// Rewards are β·(log π(answer) − log π_ref(answer)), summed over the answer's tokens. <see cref="RewardAccuracy"/> is
/// the fraction of pairs whose chosen reward is strictly above the rejected one, <see cref="RewardMargin"/> the mean
/// chosen − rejected reward; <see cref="ChosenReward"/> and <see cref="RejectedReward"/> are means over the pairs.
/// </summary>
public readonly record struct DpoStatistics(float Loss, float RewardAccuracy, float RewardMargin, float ChosenReward, float RejectedReward, int Pairs);
