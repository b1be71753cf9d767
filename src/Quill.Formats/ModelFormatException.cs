// The one exception every Quill.Formats reader throws for a malformed file; not used for I/O failures (missing file, no permission).
namespace Quill.Formats;

/// <summary>
/// A model file is malformed. The message is one line: "&lt;path&gt;: what was expected, what was found, where".
/// It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed; catch
/// <see cref="ModelFormatException"/> (or IOException, which also covers a missing or unreadable file).
/// </summary>
public class ModelFormatException : IOException
{
    public ModelFormatException(string message) : base(message) { }

    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
