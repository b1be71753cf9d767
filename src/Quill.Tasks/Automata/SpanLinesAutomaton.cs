// Lines of "label: span" (or bare spans) whose spans are spans of the input: the output language of ner, keywords and qa.
using Quill.Tasks.Text;

namespace Quill.Tasks.Automata;

/// <summary>A state of <see cref="SpanLinesAutomaton"/>: where in a line, the trie node or span match, and lines finished.</summary>
internal readonly record struct SpanLineState(SpanLinePhase Phase, int A, int B, int Lines);

internal enum SpanLinePhase : byte
{
    /// <summary>At the start of a line (or of the output).</summary>
    LineStart,

    /// <summary>Inside a label prefix; A is the trie node.</summary>
    Label,

    /// <summary>Inside a span; A is the first start of the match, B its length.</summary>
    Span,
}

/// <summary>
/// Accepts up to <c>maxLines</c> lines joined by '\n', each "LABEL: SPAN" when labels are given (the trie holds each
/// label followed by ": ") or just "SPAN" otherwise, where SPAN is a span of the input text (<see cref="SpanMatcher"/>).
/// The empty output is accepted when <c>allowEmpty</c> (no entities, no keywords); a line break must be followed by
/// another line.
/// </summary>
internal sealed class SpanLinesAutomaton : InternedAutomaton<SpanLineState>
{
    private readonly SpanMatcher _spans;
    private readonly LiteralTrie? _labels;
    private readonly int _maxLines;
    private readonly bool _allowEmpty;

    public SpanLinesAutomaton(TextOffsets text, IReadOnlyList<string>? labels, int maxLines, bool allowEmpty)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        _spans = new SpanMatcher(text);
        _labels = labels is { Count: > 0 } ? new LiteralTrie([.. labels.Select(l => l + ": ")]) : null;
        _maxLines = maxLines;
        _allowEmpty = allowEmpty;
    }

    /// <summary>The matcher, to locate spans once decoded.</summary>
    public SpanMatcher Spans => _spans;

    protected override SpanLineState StartKey => new(SpanLinePhase.LineStart, 0, 0, 0);

    protected override bool TryStep(in SpanLineState key, byte value, out SpanLineState next)
    {
        next = default;
        switch (key.Phase)
        {
            case SpanLinePhase.LineStart:
                if (_labels is not null) return Label(0, value, key.Lines, out next);
                return SpanStep(-1, 0, value, key.Lines, out next);
            case SpanLinePhase.Label:
                if (Label(key.A, value, key.Lines, out next)) return true;
                return _labels!.Value(key.A) >= 0 && SpanStep(-1, 0, value, key.Lines, out next);
            default:
                if (value == (byte)'\n')
                {
                    if (_spans.Cost(key.A, key.B) != 0 || key.Lines + 1 >= _maxLines) return false;
                    next = new SpanLineState(SpanLinePhase.LineStart, 0, 0, key.Lines + 1);
                    return true;
                }
                return SpanStep(key.A, key.B, value, key.Lines, out next);
        }
    }

    protected override int CostOf(in SpanLineState key)
    {
        int span = _spans.ShortestSpan;
        if (span == int.MaxValue) return key.Phase == SpanLinePhase.LineStart && key.Lines == 0 && _allowEmpty ? 0 : int.MaxValue;
        return key.Phase switch
        {
            SpanLinePhase.LineStart when key.Lines == 0 && _allowEmpty => 0,
            SpanLinePhase.LineStart => (_labels?.Shortest ?? 0) + span,
            SpanLinePhase.Label => _labels!.Distance(key.A) == int.MaxValue ? int.MaxValue : _labels.Distance(key.A) + span,
            _ => _spans.Cost(key.A, key.B),
        };
    }

    private bool Label(int node, byte value, int lines, out SpanLineState next)
    {
        int child = _labels!.Next(node, value);
        next = new SpanLineState(SpanLinePhase.Label, child, 0, lines);
        return child >= 0;
    }

    private bool SpanStep(int start, int length, byte value, int lines, out SpanLineState next)
    {
        bool ok = _spans.TryStep(start, length, value, out int nextStart);
        next = new SpanLineState(SpanLinePhase.Span, nextStart, length + 1, lines);
        return ok;
    }
}
