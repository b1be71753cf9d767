// Options shared by several commands, declared once so every command spells them the same way.
using System.CommandLine;

namespace Quill.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string> Model(bool required = true) => new("--model", "-m")
    {
        Description = "Path to a GGUF model file",
        Required = required,
    };

    public static Option<int> Threads() => new("--threads", "-t")
    {
        Description = "Threads for the forward pass (default: every core)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of text" };

    public static Option<bool> Mmap() => new("--mmap")
    {
        Description = "Compute from the memory-mapped file instead of copying weights into aligned memory at load",
    };
}
