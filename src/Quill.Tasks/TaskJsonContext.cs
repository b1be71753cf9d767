// Source-generated JSON for the task results, so their JSON needs no reflection (NativeAOT builds write the same).
using System.Text.Json.Serialization;

namespace Quill.Tasks;

/// <summary>The task results' JSON metadata: <c>JsonSerializer.Serialize(scores, TaskJsonContext.Default.IReadOnlyListLabelScore)</c>.</summary>
[JsonSerializable(typeof(IReadOnlyList<LabelScore>))]
[JsonSerializable(typeof(IReadOnlyList<EntitySpan>))]
[JsonSerializable(typeof(IReadOnlyList<Keyword>))]
[JsonSerializable(typeof(ExtractedAnswer))]
public sealed partial class TaskJsonContext : JsonSerializerContext;
