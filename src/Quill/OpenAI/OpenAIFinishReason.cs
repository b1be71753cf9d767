// OpenAI's finish_reason strings for Quill's FinishReason, the one mapping the CLI and the server share.
using Quill.Generation;

namespace Quill.OpenAI;

public static class OpenAIFinishReason
{
    /// <summary>"stop" or "length"; a cancelled generation (client gone, server stopping) reads as "stop".</summary>
    public static string Of(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";
}
