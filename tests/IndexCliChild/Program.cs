// The CLI's `quill index` and `quill ask` commands over the deterministic HashingEmbedder instead of a model: Quill.Search.Tests' child, not a tool.
// Usage: IndexCliChild [--delay-ms N] index add|search|remove|stats ... | ask ...   (-m / --embedder hash or hash-N: N dimensions; default 64)
using System.CommandLine;
using System.Globalization;
using Quill.Cli.Commands;
using Quill.Embeddings;
using Quill.Search;

// Slowing every embedded batch lets a test kill an add mid-way.
int delayMs = 0;
if (args is ["--delay-ms", var delay, ..])
{
    delayMs = int.Parse(delay, CultureInfo.InvariantCulture);
    args = args[2..];
}
var root = new Command("quill") { IndexCommand.Create(model => Hashing(model, delayMs)), AskCommand.Create(model => Hashing(model, delayMs)) };
return root.Parse(args).Invoke();

// -m as the store records it: hash (64 dimensions) or hash-N, with or without HashingEmbedder's "test-" prefix.
static ITextEmbedder Hashing(string? model, int delayMs)
{
    string name = model ?? "hash";
    if (name.StartsWith("test-", StringComparison.Ordinal)) name = name[5..];
    int dimensions = name == "hash" ? 64
        : name.StartsWith("hash-", StringComparison.Ordinal) && int.TryParse(name[5..], CultureInfo.InvariantCulture, out int n) && n > 0 ? n
        : throw new ArgumentException($"-m: expected hash or hash-N for the hashing test embedder, found '{name}'");
    return new HashingEmbedder(dimensions, TimeSpan.FromMilliseconds(delayMs));
}
