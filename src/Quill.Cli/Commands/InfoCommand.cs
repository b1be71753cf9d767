// `quill info MODEL`: prints a GGUF file's metadata and a table of its tensors.
using System.CommandLine;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("MODEL") { Description = "A .gguf file" };
        var command = new Command("info", "Print a model file's metadata and tensor table\n  example: quill info model.gguf") { path };
        command.SetAction(r => CliErrors.Run(() => Print(r.GetValue(path)!)));
        return command;
    }

    private static int Print(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        using var file = GgufFile.Open(path);
        var o = Console.Out;
        o.WriteLine($"{path}: GGUF v{file.Version}, {file.Metadata.Count} metadata keys, {file.Tensors.Count} tensors, {file.FileLength:N0} bytes");
        o.WriteLine();
        int keyWidth = file.Metadata.Keys.DefaultIfEmpty("").Max(k => k.Length);
        foreach (var (key, value) in file.Metadata)
            o.WriteLine($"  {key.PadRight(keyWidth)}  {value}");
        o.WriteLine();
        int nameWidth = Math.Max(4, file.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
        o.WriteLine($"  {"name".PadRight(nameWidth)}  {"type",-5}  {"shape",-20}  {"bytes",14}");
        long total = 0;
        foreach (var t in file.Tensors)
        {
            o.WriteLine($"  {t.Name.PadRight(nameWidth)}  {t.Type,-5}  {"[" + string.Join(", ", t.Shape) + "]",-20}  {t.ByteLength,14:N0}");
            total += t.ByteLength;
        }
        o.WriteLine($"  {"total".PadRight(nameWidth)}  {"",-5}  {"",-20}  {total,14:N0}");
        return 0;
    }
}
