// Resolves what a user names as a tokenizer (a built-in name or a file) to a loaded tokenizer.
using Quill.Formats.Gguf;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.Tiktoken;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers;

/// <summary>
/// The one place that knows every tokenizer source: built-in names that work offline (gpt2, r50k_base, cl100k_base,
/// o200k_base, bert-base-uncased) and files — a GGUF model, a Hugging Face tokenizer.json (or a folder holding one),
/// a tiktoken .tiktoken file, a BERT vocab.txt. Built-ins are cached per process.
/// </summary>
public static class TokenizerCatalog
{
    private static readonly Dictionary<string, Func<ITokenizer>> BuiltIns = CreateBuiltIns();

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4"] = "cl100k_base", ["gpt-3.5-turbo"] = "cl100k_base", ["gpt-4o"] = "o200k_base", ["bert"] = "bert-base-uncased",
    };

    /// <summary>The names <see cref="Load"/> accepts without a file.</summary>
    public static IReadOnlyCollection<string> BuiltInNames => BuiltIns.Keys;

    /// <summary>Loads a built-in by name, or the tokenizer of a file or folder.</summary>
    public static ITokenizer Load(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        string name = Aliases.GetValueOrDefault(nameOrPath, nameOrPath);
        if (BuiltIns.TryGetValue(name, out Func<ITokenizer>? builtIn)) return builtIn();
        if (Directory.Exists(nameOrPath)) return LoadFolder(nameOrPath);
        if (!File.Exists(nameOrPath))
        {
            throw new FileNotFoundException(
                $"{nameOrPath}: not a built-in tokenizer ({string.Join(", ", BuiltInNames.Order())}) and no such file", nameOrPath);
        }
        return LoadFile(nameOrPath);
    }

    private static ITokenizer LoadFile(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".gguf":
                using (GgufFile file = GgufFile.Open(path)) return GgufTokenizerLoader.Load(file);
            case ".tiktoken":
                return TiktokenTokenizer.Load(path);
            case ".json":
                return TokenizerJsonLoader.Load(path);
            case ".txt":
                return BertTokenizerFactory.FromVocabFile(path);
            default:
                throw new InvalidDataException(
                    $"{path}: expected a .gguf, tokenizer.json, .tiktoken or vocab.txt file, found '{extension}'");
        }
    }

    private static Dictionary<string, Func<ITokenizer>> CreateBuiltIns()
    {
        var builtIns = new Dictionary<string, Func<ITokenizer>>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in TiktokenTokenizer.BuiltInNames) builtIns[name] = () => TiktokenTokenizer.BuiltIn(name);
        foreach (string name in BertTokenizerFactory.BuiltInNames) builtIns[name] = () => BertTokenizerFactory.BuiltIn(name);
        return builtIns;
    }

    private static ITokenizer LoadFolder(string path)
    {
        foreach (string name in (string[])["tokenizer.json", "vocab.txt"])
        {
            string candidate = Path.Combine(path, name);
            if (File.Exists(candidate)) return LoadFile(candidate);
        }
        throw new FileNotFoundException($"{path}: expected a folder with tokenizer.json or vocab.txt, found neither", path);
    }
}
