// The argument checks every task shares, with messages that name the task and the input.
namespace Quill.Tasks;

/// <summary>
/// Validates task inputs: one-line <see cref="ArgumentException"/>s naming the task and what is wrong (no parameter
/// name appended, so the message reads the same in the CLI).
/// </summary>
internal static class TaskInput
{
    public static void RequireText(string? text, string task, string what = "text")
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException($"{task}: the {what} is empty");
    }

    /// <summary>A non-empty list of distinct, non-blank names without line breaks (labels, entity types).</summary>
    public static void RequireNames(IReadOnlyList<string>? names, string task, string what)
    {
        if (names is null || names.Count == 0) throw new ArgumentException($"{task}: no {what} given");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{task}: one of the {what} is empty");
            if (name.Contains('\n') || name.Contains('\r')) throw new ArgumentException($"{task}: the {what} may not hold line breaks");
            if (!seen.Add(name)) throw new ArgumentException($"{task}: '{name}' is given twice among the {what}");
        }
    }

    public static void RequireCount(int k, string task)
    {
        if (k < 1) throw new ArgumentException($"{task}: k must be 1 or more, found {k}");
    }
}
