// Model files that are valid GGUF but wrong as models (or not GGUF at all), for the error-path tests.
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Tests.Models;

namespace Quill.Tests.Cli;

internal static class BadModelFiles
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("quill-bad-").FullName;

    static BadModelFiles() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    };

    public static string Make(string kind)
    {
        string path = Path.Combine(Folder, kind + ".gguf");
        switch (kind)
        {
            case "missing":
                return path;
            case "empty":
                File.WriteAllBytes(path, []);
                return path;
            case "notgguf":
                File.WriteAllText(path, "this is not a model file, just some text that is long enough");
                return path;
        }
        // Start from a valid model and change one thing.
        using var valid = GgufFile.Open(SyntheticModels.Get(new SyntheticModelOptions { Dim = 64, Layers = 1, Heads = 4, VocabSize = 300 }));
        var writer = new GgufWriter();
        foreach (var (key, value) in valid.Metadata) writer.Set(key, value.Value);
        foreach (var t in valid.Tensors)
        {
            var shape = t.Shape;
            if (kind == "wrong-shape" && t.Name == "blk.0.attn_k.weight") shape = [shape[0] / 2, shape[1] * 2];
            writer.AddTensor(t.Name, t.Type, shape, valid.GetTensorData(t).ToArray());
        }
        switch (kind)
        {
            case "unknown-arch": writer.Set("general.architecture", "mamba9"); break;
            case "missing-key": writer.Remove("llama.block_count"); break;
            case "bad-heads": writer.Set("llama.attention.head_count", 0u); break;
        }
        writer.WriteTo(path);
        return path;
    }
}
