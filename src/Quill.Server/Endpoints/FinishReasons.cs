// OpenAI's finish_reason strings for Quill's FinishReason; not the reasons themselves.
using Quill.Generation;

namespace Quill.Server.Endpoints;

internal static class FinishReasons
{
    /// <summary>"stop" or "length"; a cancelled generation (client gone, server stopping) reads as "stop".</summary>
    public static string Of(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";
}
