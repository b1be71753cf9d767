// Hugging Face's SplitDelimiterBehavior: what becomes of the matches and the text between them.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>Turns the matches inside one piece into the pieces that replace it, as <c>NormalizedString::split</c> does.</summary>
internal static class SplitBehaviors
{
    [ThreadStatic] private static List<(int Start, int End, bool IsMatch)>? t_segments;
    [ThreadStatic] private static List<TextPiece>? t_reversed;

    public static SplitBehavior Parse(JsonSection section)
    {
        string name = section.AsString();
        return name switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw section.Error($"expected a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous), found '{name}'"),
        };
    }

    /// <summary>Appends to <paramref name="output"/> the pieces of [start, end) given its <paramref name="matches"/>.</summary>
    public static void Apply(int start, int end, List<(int Start, int End)> matches, bool invert, SplitBehavior behavior, List<TextPiece> output)
    {
        List<(int Start, int End, bool IsMatch)> segments = t_segments ??= [];
        segments.Clear();
        int previous = start;
        foreach ((int from, int to) in matches)
        {
            if (from > previous) segments.Add((previous, from, invert));
            segments.Add((from, to, !invert));
            previous = to;
        }
        if (end > previous) segments.Add((previous, end, invert));

        int first = output.Count;
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var segment in segments) Push(output, segment.Start, segment.End);
                break;
            case SplitBehavior.Removed:
                foreach (var segment in segments)
                {
                    if (!segment.IsMatch) Push(output, segment.Start, segment.End);
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var segment in segments)
                {
                    if (segment.IsMatch && !previousMatch && output.Count > first) Extend(output, segment.End);
                    else Push(output, segment.Start, segment.End);
                    previousMatch = segment.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithNext:
                // Walk backwards: a match joins the piece after it unless that piece is itself a match.
                List<TextPiece> reversed = t_reversed ??= [];
                reversed.Clear();
                for (int i = segments.Count - 1; i >= 0; i--)
                {
                    var segment = segments[i];
                    if (segment.IsMatch && !previousMatch && reversed.Count > 0)
                    {
                        TextPiece next = reversed[^1];
                        reversed[^1] = new TextPiece(segment.Start, next.End - segment.Start);
                    }
                    else
                    {
                        Push(reversed, segment.Start, segment.End);
                    }
                    previousMatch = segment.IsMatch;
                }
                for (int i = reversed.Count - 1; i >= 0; i--) output.Add(reversed[i]);
                break;
            case SplitBehavior.Contiguous:
                foreach (var segment in segments)
                {
                    if (segment.IsMatch == previousMatch && output.Count > first) Extend(output, segment.End);
                    else Push(output, segment.Start, segment.End);
                    previousMatch = segment.IsMatch;
                }
                break;
        }
    }

    private static void Push(List<TextPiece> output, int start, int end)
    {
        if (end > start) output.Add(new TextPiece(start, end - start));
    }

    private static void Extend(List<TextPiece> output, int end)
    {
        TextPiece last = output[^1];
        output[^1] = new TextPiece(last.Start, end - last.Start);
    }
}
