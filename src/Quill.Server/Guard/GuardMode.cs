// What `quill serve --guard` does with a prompt the injection guard scores at or above its threshold.
namespace Quill.Server.Guard;

/// <summary>off: no scanning; flag: serve and record the score; block: answer 400 content_filter.</summary>
public enum GuardMode
{
    /// <summary>No scanning (the default).</summary>
    Off,

    /// <summary>Serve the request; record the score in HttpContext.Items["quill.guard.score"] and count flags in /metrics.</summary>
    Flag,

    /// <summary>Answer 400 with code "content_filter" and the detection result in error.innererror, as Azure OpenAI does.</summary>
    Block,
}
