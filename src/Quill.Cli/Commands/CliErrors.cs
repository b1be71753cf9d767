// Turns the errors a user can cause (bad files, bad flags) into one line on stderr and exit code 1.
using System.Data.Common;
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
        catch (Exception e) when (IsExpected(e))
        {
            return Report(e);
        }
    }

    /// <summary>As <see cref="Run"/>, for a body that awaits.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (IsExpected(e))
        {
            return Report(e);
        }
    }

    private static bool IsExpected(Exception e) =>
        e is ModelFormatException or InvalidDataException or IOException or ArgumentException or UnauthorizedAccessException
            or NotSupportedException or InvalidOperationException or OperationCanceledException or DbException;

    /// <summary>Cancellation (Ctrl+C) exits with 130, anything else a user caused with 1.</summary>
    private static int Report(Exception e)
    {
        if (e is OperationCanceledException)
        {
            Console.Error.WriteLine("quill: cancelled");
            return 130;
        }
        Console.Out.Flush();
        string source = e switch
        {
            Microsoft.Data.Sqlite.SqliteException => "SQLite: ",
            Npgsql.NpgsqlException => "PostgreSQL: ",
            _ => "",
        };
        Console.Error.WriteLine($"quill: {source}{OneLine(e.Message)}");
        return 1;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
