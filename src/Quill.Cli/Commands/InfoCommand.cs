// `quill info MODEL`: prints a GGUF or safetensors file's metadata and a table of its tensors.
using System.CommandLine;
using Quill.Formats.Gguf;
using Quill.Formats.Safetensors;

namespace Quill.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("MODEL") { Description = "A .gguf or .safetensors file" };
        var command = new Command("info", "Print a model file's metadata and tensor table\n  example: quill info model.gguf") { path };
        command.SetAction(r => CliErrors.Run(() => Print(r.GetValue(path)!)));
        return command;
    }

    private static int Print(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var st = SafetensorsFile.Open(path);
            Console.Out.WriteLine($"{path}: safetensors, {st.Metadata.Count} metadata keys, {st.Tensors.Count} tensors, {st.FileLength:N0} bytes");
            PrintMetadata(st.Metadata.Select(kv => (kv.Key, kv.Value)));
            PrintTensors(st.Tensors.Select(t => (t.Name, t.DType.ToString(), t.Shape, t.ByteLength)));
            return 0;
        }
        using var file = GgufFile.Open(path);
        Console.Out.WriteLine($"{path}: GGUF v{file.Version}, {file.Metadata.Count} metadata keys, {file.Tensors.Count} tensors, {file.FileLength:N0} bytes");
        PrintMetadata(file.Metadata.Select(kv => (kv.Key, kv.Value.ToString())));
        PrintTensors(file.Tensors.Select(t => (t.Name, t.Type.ToString(), t.Shape, t.ByteLength)));
        return 0;
    }

    private static void PrintMetadata(IEnumerable<(string Key, string Value)> entries)
    {
        var list = entries.ToList();
        int keyWidth = list.Select(e => e.Key.Length).DefaultIfEmpty(0).Max();
        Console.Out.WriteLine();
        foreach (var (key, value) in list)
            Console.Out.WriteLine($"  {key.PadRight(keyWidth)}  {value}");
        Console.Out.WriteLine();
    }

    private static void PrintTensors(IEnumerable<(string Name, string Type, long[] Shape, long Bytes)> tensors)
    {
        var list = tensors.ToList();
        var o = Console.Out;
        int nameWidth = Math.Max(5, list.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
        o.WriteLine($"  {"name".PadRight(nameWidth)}  {"type",-5}  {"shape",-20}  {"bytes",14}");
        long total = 0;
        foreach (var t in list)
        {
            o.WriteLine($"  {t.Name.PadRight(nameWidth)}  {t.Type,-5}  {"[" + string.Join(", ", t.Shape) + "]",-20}  {t.Bytes,14:N0}");
            total += t.Bytes;
        }
        o.WriteLine($"  {"total".PadRight(nameWidth)}  {"",-5}  {"",-20}  {total,14:N0}");
    }
}
