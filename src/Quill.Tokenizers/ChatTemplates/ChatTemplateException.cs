// The one error a chat template raises: parse and render failures and the template's own raise_exception; not I/O errors.
using Quill.Formats;

namespace Quill.Tokenizers.ChatTemplates;

/// <summary>
/// A chat template could not be parsed or rendered, e.g. "chat template: unsupported filter 'wordwrap' at line 3",
/// or the template called <c>raise_exception(msg)</c> (then <see cref="Exception.Message"/> is the template's message).
/// It derives from <see cref="ModelFormatException"/> (an IOException) because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class ChatTemplateException : ModelFormatException
{
    public ChatTemplateException(string message, bool raisedByTemplate = false) : base(message) => RaisedByTemplate = raisedByTemplate;

    /// <summary>True when the template itself called <c>raise_exception</c>.</summary>
    public bool RaisedByTemplate { get; }
}
