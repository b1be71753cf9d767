// The detection result a blocked request carries in error.innererror, in Azure OpenAI's content-filter shape.
using System.Text.Json.Serialization;

namespace Quill.Server.Guard;

/// <summary><c>{"code": "ResponsibleAIPolicyViolation", "content_filter_result": {...}}</c>.</summary>
internal sealed record GuardInnerError(ContentFilterResult ContentFilterResult)
{
    public string Code => "ResponsibleAIPolicyViolation";
}

/// <summary>
/// Azure's prompt-shield categories: "jailbreak" for attacks in user messages (and completion prompts), "indirect_attack"
/// for attacks in tool results; a category not scanned is left out.
/// </summary>
internal sealed record ContentFilterResult(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ShieldResult? Jailbreak,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ShieldResult? IndirectAttack);

/// <summary>
/// One category's verdict: filtered and detected as Azure's, plus Quill's score, threshold, the field that scored
/// highest (e.g. <c>messages[2].content</c>) and the matched phrases.
/// </summary>
internal sealed record ShieldResult(bool Filtered, bool Detected, double Score, double Threshold, string Source, List<string> Matches);
