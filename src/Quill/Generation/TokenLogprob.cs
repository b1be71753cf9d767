// The logprobs report for one generated token (OpenAI's logprobs entry); computed by LogSoftmax.
namespace Quill.Generation;

/// <summary>
/// A generated token, its log-probability and the most likely alternatives at that step, all under the model's raw
/// distribution (log-softmax of the logits before penalties, filters and temperature; see <see cref="LogSoftmax"/>).
/// <see cref="Text"/> is the token decoded on its own, so a partial UTF-8 character shows as U+FFFD.
/// </summary>
public sealed record TokenLogprob(int Token, string Text, float Logprob, IReadOnlyList<TopLogprob> TopLogprobs);

/// <summary>One of the most likely tokens at a step.</summary>
public sealed record TopLogprob(int Token, string Text, float Logprob);
