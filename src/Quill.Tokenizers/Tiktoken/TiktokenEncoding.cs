// The named tiktoken encodings: split pattern and special tokens of each; not the ranks, which come from files or packages.
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>What tiktoken's <c>openai_public.py</c> defines besides the ranks.</summary>
internal sealed record TiktokenEncoding(string Name, TiktokenPattern Pattern, IReadOnlyList<KeyValuePair<string, int>> SpecialTokens)
{
    public const string EndOfText = "<|endoftext|>";
    private const string FimPrefix = "<|fim_prefix|>";
    private const string FimMiddle = "<|fim_middle|>";
    private const string FimSuffix = "<|fim_suffix|>";
    private const string EndOfPrompt = "<|endofprompt|>";

    public static readonly TiktokenEncoding Gpt2 = new("gpt2", TiktokenPattern.Gpt2, [new(EndOfText, 50256)]);
    public static readonly TiktokenEncoding R50kBase = new("r50k_base", TiktokenPattern.Gpt2, [new(EndOfText, 50256)]);
    public static readonly TiktokenEncoding P50kBase = new("p50k_base", TiktokenPattern.Gpt2, [new(EndOfText, 50256)]);
    public static readonly TiktokenEncoding P50kEdit = new("p50k_edit", TiktokenPattern.Gpt2,
        [new(EndOfText, 50256), new(FimPrefix, 50281), new(FimMiddle, 50282), new(FimSuffix, 50283)]);
    public static readonly TiktokenEncoding Cl100kBase = new("cl100k_base", TiktokenPattern.Cl100k,
        [new(EndOfText, 100257), new(FimPrefix, 100258), new(FimMiddle, 100259), new(FimSuffix, 100260), new(EndOfPrompt, 100276)]);
    public static readonly TiktokenEncoding O200kBase = new("o200k_base", TiktokenPattern.O200k,
        [new(EndOfText, 199999), new(EndOfPrompt, 200018)]);

    /// <summary>A file whose name says no encoding: cl100k's pattern, no special tokens.</summary>
    public static readonly TiktokenEncoding Unnamed = new("", TiktokenPattern.Cl100k, []);

    // p50k_edit before p50k_base is irrelevant (neither contains the other), but longer names first keeps it so.
    private static readonly TiktokenEncoding[] Known = [P50kEdit, P50kBase, R50kBase, Cl100kBase, O200kBase, Gpt2];

    public static TiktokenEncoding? Find(string name) =>
        Array.Find(Known, e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The encoding a file name mentions ("cl100k_base.tiktoken", "my-o200k_base.tiktoken"), else <see cref="Unnamed"/>.</summary>
    public static TiktokenEncoding FromFileName(string path)
    {
        string name = Path.GetFileName(path);
        return Array.Find(Known, e => name.Contains(e.Name, StringComparison.OrdinalIgnoreCase)) ?? Unnamed;
    }

    public static string KnownNames => string.Join(", ", Known.Select(e => e.Name));
}
