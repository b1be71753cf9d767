// The tokenizer.* key-values a converter puts into a GGUF file, and the vocabulary llama.cpp reads back from them.
using Quill.Formats.Gguf;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Conversion;

/// <summary>
/// <see cref="Entries"/> are the tokenizer.ggml.* and tokenizer.chat_template* keys in the order convert_hf_to_gguf.py
/// writes them, values already typed for <see cref="GgufWriter.Set"/> (string[], float[], int[], uint ids, bool).
/// <see cref="Vocabulary"/> is what <see cref="GgufTokenizerLoader.ReadVocabulary"/> gives for a file holding them,
/// llama.cpp's defaults applied where a key is absent.
/// </summary>
public sealed class GgufTokenizerMetadata
{
    internal GgufTokenizerMetadata(IReadOnlyList<KeyValuePair<string, object>> entries)
    {
        Entries = entries;
        Vocabulary = ReadBack(entries);
    }

    public IReadOnlyList<KeyValuePair<string, object>> Entries { get; }

    public GgufVocabulary Vocabulary { get; }

    /// <summary>The chat template (tokenizer.chat_template), or null.</summary>
    public string? ChatTemplate => Find("tokenizer.chat_template") as string;

    /// <summary>Sets every entry on <paramref name="writer"/> (a model file being converted, or a vocab-only one).</summary>
    public void WriteTo(GgufWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (KeyValuePair<string, object> entry in Entries) writer.Set(entry.Key, entry.Value);
    }

    private object? Find(string key)
    {
        foreach (KeyValuePair<string, object> entry in Entries)
        {
            if (entry.Key == key) return entry.Value;
        }
        return null;
    }

    // Mirrors GgufTokenizerLoader.ReadVocabulary on a dictionary instead of a file.
    private static GgufVocabulary ReadBack(IReadOnlyList<KeyValuePair<string, object>> entries)
    {
        var map = entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        string model = (string)map["tokenizer.ggml.model"];
        string? pre = map.GetValueOrDefault("tokenizer.ggml.pre") as string;
        var tokens = (string[])map["tokenizer.ggml.tokens"];
        bool llama = model == "llama";
        (int bos, int eos, int unknown) = llama ? (1, 2, 0) : (11, 11, -1);
        bool addBos = llama || (BpePreTokenizer.TryFor(pre)?.AddBosByDefault ?? false);
        bos = Id(map, "tokenizer.ggml.bos_token_id", tokens.Length) ?? (bos < tokens.Length ? bos : -1);
        eos = Id(map, "tokenizer.ggml.eos_token_id", tokens.Length) ?? (eos < tokens.Length ? eos : -1);
        unknown = Id(map, "tokenizer.ggml.unknown_token_id", tokens.Length) ?? (unknown < tokens.Length ? unknown : -1);
        int padding = Id(map, "tokenizer.ggml.padding_token_id", tokens.Length) ?? -1;
        return new GgufVocabulary(model, pre, tokens, map.GetValueOrDefault("tokenizer.ggml.scores") as float[],
            map.GetValueOrDefault("tokenizer.ggml.token_type") as int[], map.GetValueOrDefault("tokenizer.ggml.merges") as string[],
            bos, eos, unknown, padding, eos >= 0 ? [eos] : [],
            AddBos: map.GetValueOrDefault("tokenizer.ggml.add_bos_token") as bool? ?? addBos,
            AddEos: map.GetValueOrDefault("tokenizer.ggml.add_eos_token") as bool? ?? false,
            AddSpacePrefix: map.GetValueOrDefault("tokenizer.ggml.add_space_prefix") as bool? ?? llama);
    }

    private static int? Id(Dictionary<string, object> map, string key, int count) =>
        map.GetValueOrDefault(key) is uint id && id < count ? (int)id : null;
}
