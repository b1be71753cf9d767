// Why a generation ended (OpenAI's finish_reason).
namespace Quill.Generation;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token, or the text reached a stop string ("stop").</summary>
    Stop,

    /// <summary>MaxTokens were generated, or the context (KV cache) is full ("length").</summary>
    Length,

    /// <summary>The caller's cancellation token fired; the text so far is returned.</summary>
    Cancelled,
}
