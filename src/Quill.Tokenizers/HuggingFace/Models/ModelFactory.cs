// Builds the model of tokenizer.json ("BPE" or "WordPiece") from its JSON, checking vocabulary and merges; other types (Unigram) are refused.
using System.Text.Json;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Models;

internal static class ModelFactory
{
    /// <param name="model"></param>
    /// <param name="addedTokens">added token content → id, where the unknown token may live.</param>
    public static ISubwordModel Create(JsonSection model, IReadOnlyDictionary<string, int> addedTokens)
    {
        if (model.Element.ValueKind != JsonValueKind.Object) throw model.Error($"expected an object, found {model.Describe()}");
        string type = model.Optional("type")?.AsString() ?? (model.Has("merges") ? "BPE" : model.Has("continuing_subword_prefix") ? "WordPiece" : "");
        return type switch
        {
            "BPE" => CreateBpe(model, addedTokens),
            "WordPiece" => CreateWordPiece(model),
            _ => throw model.Error($"expected a model type BPE or WordPiece, found '{type}'"),
        };
    }

    private static BpeModel CreateBpe(JsonSection model, IReadOnlyDictionary<string, int> addedTokens)
    {
        double? dropout = model.OptionalNumber("dropout");
        if (dropout is { } p && p != 0) throw model.Error($"expected dropout null or 0 (no random merges when encoding), found {p}");

        (string[] tokens, Dictionary<string, int> ids) = ReadVocab(model);

        JsonSection merges = model.Required("merges");
        var pairs = new List<(string, string)>(merges.ArrayLength);
        int index = 0;
        foreach (JsonElement entry in merges.Element.EnumerateArray())
        {
            switch (entry.ValueKind)
            {
                case JsonValueKind.String:
                    string line = entry.GetString()!;
                    int space = line.IndexOf(' ');
                    if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                    {
                        JsonSection at = Item(merges, entry, index);
                        throw at.Error($"expected a merge \"left right\" with exactly one space, found {at.Describe()}");
                    }
                    pairs.Add((line[..space], line[(space + 1)..]));
                    break;
                case JsonValueKind.Array when entry.GetArrayLength() == 2
                    && entry[0].ValueKind == JsonValueKind.String && entry[1].ValueKind == JsonValueKind.String:
                    pairs.Add((entry[0].GetString()!, entry[1].GetString()!));
                    break;
                default:
                    JsonSection bad = Item(merges, entry, index);
                    throw bad.Error($"expected a merge as \"left right\" or [left, right], found {bad.Describe()}");
            }
            index++;
        }

        string? unk = model.OptionalString("unk_token");
        int unkId = unk is null ? -1 : ids.TryGetValue(unk, out int u) ? u : addedTokens.TryGetValue(unk, out int a) ? a : -1;
        var options = new BpeOptions
        {
            UnkToken = unk,
            FuseUnk = model.Bool("fuse_unk", false),
            ByteFallback = model.Bool("byte_fallback", false),
            IgnoreMerges = model.Bool("ignore_merges", false),
            ContinuingSubwordPrefix = model.OptionalString("continuing_subword_prefix") ?? "",
            EndOfWordSuffix = model.OptionalString("end_of_word_suffix") ?? "",
        };
        return new BpeModel(tokens, ids, pairs, options, unkId);
    }

    /// <summary>model.vocab: an object of token → id, ids dense in [0, count) and unique.</summary>
    private static (string[] Tokens, Dictionary<string, int> Ids) ReadVocab(JsonSection model)
    {
        JsonSection vocab = model.Required("vocab");
        if (vocab.Element.ValueKind != JsonValueKind.Object) throw vocab.Error($"expected an object of token → id, found {vocab.Describe()}");
        int count = 0;
        foreach (JsonProperty _ in vocab.Element.EnumerateObject()) count++;
        var tokens = new string[count];
        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        foreach (JsonProperty property in vocab.Element.EnumerateObject())
        {
            string token = property.Name;
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int id))
            {
                throw Entry(vocab, token).Error($"expected a 32-bit integer id, found {Entry(vocab, token).Describe()}");
            }
            if ((uint)id >= (uint)count) throw Entry(vocab, token).Error($"expected a token id in [0, {count}), found {id}");
            if (tokens[id] is { } other) throw Entry(vocab, token).Error($"expected unique token ids, found {id} for both '{other}' and '{token}'");
            if (!ids.TryAdd(token, id)) throw Entry(vocab, token).Error($"expected unique token texts, found '{token}' twice");
            tokens[id] = token;
        }

        return (tokens, ids);
    }

    private static Quill.Tokenizers.WordPiece.WordPieceModel CreateWordPiece(JsonSection model)
    {
        (_, Dictionary<string, int> ids) = ReadVocab(model);
        string unk = model.StringOr("unk_token", "[UNK]");
        if (!ids.ContainsKey(unk)) throw model.Error($"expected the unk_token '{unk}' in the vocabulary, found no such token");
        int maxChars = model.Int("max_input_chars_per_word", 100);
        if (maxChars <= 0) throw model.Error($"expected a positive max_input_chars_per_word, found {maxChars}");
        return new Quill.Tokenizers.WordPiece.WordPieceModel(ids, unk, model.StringOr("continuing_subword_prefix", "##"), maxChars);
    }

    // Paths are built only for errors: a vocabulary has hundreds of thousands of entries.
    private static JsonSection Entry(JsonSection vocab, string token) => new(vocab.Element.GetProperty(token), $"{vocab.Path}.{token}", vocab.File);

    private static JsonSection Item(JsonSection array, JsonElement item, int index) => new(item, $"{array.Path}[{index}]", array.File);
}
