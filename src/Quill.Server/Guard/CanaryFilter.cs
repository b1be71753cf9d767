// Watches each choice's output for the request's canary and cuts the choice there with finish_reason "content_filter".
using Quill.Safety;

namespace Quill.Server.Guard;

/// <summary>
/// One <see cref="CanaryDetector"/> per choice. <see cref="Push"/> returns the part of a chunk that may be sent; once the
/// canary appears the choice is over (the canary itself is never sent) and later chunks of it are dropped.
/// </summary>
internal sealed class CanaryFilter(CanaryToken canary, int choices)
{
    public const string FinishReason = "content_filter";

    private readonly CanaryDetector[] _detectors = [.. Enumerable.Range(0, choices).Select(_ => canary.Detector())];

    /// <summary>True once choice <paramref name="index"/> leaked the canary.</summary>
    public bool Leaked(int index) => _detectors[index].Leaked;

    /// <summary>The text of choice <paramref name="index"/>'s chunk that may be shown, and whether the canary has just leaked.</summary>
    public (string Shown, bool LeakedNow) Push(int index, string text)
    {
        if (_detectors[index].Leaked) return ("", false);
        int shown = _detectors[index].Push(text);
        return (text[..shown], _detectors[index].Leaked);
    }
}
