// What loading a dataset file kept, skipped and cut.
namespace Quill.Training.Data;

/// <summary>
/// <see cref="SkippedLines"/> holds the 1-based numbers of the first <see cref="MaxReportedLines"/> skipped lines,
/// <see cref="Reasons"/> the reason for each of them.
/// </summary>
public sealed record DatasetReport(string File, int Examples, int Skipped, IReadOnlyList<int> SkippedLines,
    IReadOnlyList<string> Reasons, int Truncated)
{
    public const int MaxReportedLines = 5;

    public override string ToString() =>
        $"{File}: {Examples} examples, {Skipped} skipped"
        + (SkippedLines.Count > 0 ? $" (lines {string.Join(", ", SkippedLines)}{(Skipped > SkippedLines.Count ? ", ..." : "")})" : "")
        + $", {Truncated} truncated";
}
