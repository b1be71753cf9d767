// Finds stop strings in streamed text and holds back what might be the start of one; not a tokenizer-level matcher.
using System.Text;

namespace Quill.Generation;

/// <summary>
/// Watches generated text piece by piece. Text that can no longer be part of a stop string is released at once; a
/// tail that could still grow into one is held back, so a stop string spanning several tokens is never shown. When a
/// stop string appears, the text is cut just before the earliest one (on a tie, the one listed first wins) and
/// <see cref="MatchedStop"/> says which. Matching is ordinal, on decoded text; empty stop strings are ignored.
/// A complete match is acted on at once, even if a longer stop string starting earlier might still have completed.
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private char[] _held;     // text not released yet: a possible start of a stop string (grows only for long pieces)
    private int _heldLength;

    /// <summary>Watches for <paramref name="stops"/> (null or empty: none).</summary>
    public StopSequenceMatcher(IReadOnlyList<string>? stops)
    {
        _stops = stops is null ? [] : [.. stops.Where(s => !string.IsNullOrEmpty(s))];
        MaxStopLength = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
        _held = new char[Math.Max(16, 2 * MaxStopLength)];
    }

    /// <summary>The stop strings being watched (empty ones dropped).</summary>
    public IReadOnlyList<string> Stops => _stops;

    /// <summary>Length of the longest stop string, in chars.</summary>
    public int MaxStopLength { get; }

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>How many chars are held back right now.</summary>
    public int HeldLength => _heldLength;

    /// <summary>
    /// Takes the next piece of text and appends to <paramref name="released"/> whatever is now safe to show.
    /// Returns true when a stop string was found (then <paramref name="released"/> got the text before it, and
    /// later pieces are ignored).
    /// </summary>
    public bool Append(ReadOnlySpan<char> piece, StringBuilder released)
    {
        if (MatchedStop is not null) return true;
        if (_stops.Length == 0)
        {
            released.Append(piece);
            return false;
        }

        if (_heldLength + piece.Length > _held.Length) Array.Resize(ref _held, Math.Max(2 * _held.Length, _heldLength + piece.Length));
        piece.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += piece.Length;
        ReadOnlySpan<char> text = _held.AsSpan(0, _heldLength);

        int stopAt = -1;
        foreach (string stop in _stops)
        {
            int at = text.IndexOf(stop.AsSpan(), StringComparison.Ordinal);
            if (at >= 0 && (stopAt < 0 || at < stopAt))
            {
                stopAt = at;
                MatchedStop = stop;
            }
        }
        if (stopAt >= 0)
        {
            released.Append(text[..stopAt]);
            _heldLength = 0;
            return true;
        }

        int keepFrom = PossibleStopStart(text);
        released.Append(text[..keepFrom]);
        text[keepFrom..].CopyTo(_held);
        _heldLength -= keepFrom;
        return false;
    }

    /// <summary>Generation ended without a stop string: releases the held-back tail.</summary>
    public void Flush(StringBuilder released)
    {
        if (MatchedStop is null) released.Append(_held.AsSpan(0, _heldLength));
        _heldLength = 0;
    }

    // The earliest position whose suffix is a proper prefix of some stop string; text.Length when there is none.
    private int PossibleStopStart(ReadOnlySpan<char> text)
    {
        for (int start = Math.Max(0, text.Length - (MaxStopLength - 1)); start < text.Length; start++)
        {
            ReadOnlySpan<char> tail = text[start..];
            foreach (string stop in _stops)
            {
                if (stop.Length > tail.Length && stop.AsSpan().StartsWith(tail, StringComparison.Ordinal)) return start;
            }
        }
        return text.Length;
    }
}
