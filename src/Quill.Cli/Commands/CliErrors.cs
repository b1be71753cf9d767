// Turns the errors a user can cause (bad files, bad flags) into one line on stderr and exit code 1.
using Quill.Formats;

namespace Quill.Cli.Commands;

internal static class CliErrors
{
    /// <summary>Runs a command body; expected failures print "quill: message" and return 1, never a stack trace.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ModelFormatException or InvalidDataException or IOException or ArgumentException
                                      or UnauthorizedAccessException or NotSupportedException or InvalidOperationException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"quill: {OneLine(e.Message)}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("quill: cancelled");
            return 130;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
