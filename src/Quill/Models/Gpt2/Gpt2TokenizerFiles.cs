// Finds the tokenizer of a Hugging Face GPT-2 folder: tokenizer.json, or the older vocab.json + merges.txt pair.
using System.Text.Json;
using System.Text.Json.Nodes;
using Quill.Formats;
using Quill.Tokenizers;
using Quill.Tokenizers.HuggingFace;

namespace Quill.Models.Gpt2;

/// <summary>
/// tokenizer.json (with tokenizer_config.json beside it) is loaded as it is. A folder with only vocab.json and merges.txt
/// (GPT2Tokenizer's files) gets the tokenizer.json that transformers builds from them: byte-level BPE, the GPT-2 split
/// regex, no prefix space, and &lt;|endoftext|&gt; as BOS and EOS when the vocabulary has it.
/// </summary>
internal static class Gpt2TokenizerFiles
{
    public const string EndOfText = "<|endoftext|>";

    public static ITokenizer Load(string folder)
    {
        string json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(json)) return TokenizerJsonLoader.Load(json);
        string vocab = Path.Combine(folder, "vocab.json"), merges = Path.Combine(folder, "merges.txt");
        if (!File.Exists(vocab) || !File.Exists(merges))
            throw new ModelFormatException($"{folder}: expected tokenizer.json, or vocab.json and merges.txt, found neither");
        (string tokenizer, string config) = JsonFromVocabAndMerges(vocab, merges);
        using var tokenizerDocument = JsonDocument.Parse(tokenizer);
        using var configDocument = JsonDocument.Parse(config);
        return TokenizerJsonLoader.Load(tokenizerDocument, configDocument, Path.GetFileName(vocab));
    }

    /// <summary>The tokenizer.json and tokenizer_config.json texts transformers builds from vocab.json and merges.txt.</summary>
    public static (string TokenizerJson, string ConfigJson) JsonFromVocabAndMerges(string vocabPath, string mergesPath)
    {
        JsonNode? vocab;
        try { vocab = JsonNode.Parse(File.ReadAllBytes(vocabPath)); }
        catch (JsonException e) { throw new ModelFormatException($"{vocabPath}: expected a JSON object of token ids, {e.Message.ReplaceLineEndings(" ")}"); }
        if (vocab is not JsonObject vocabulary)
            throw new ModelFormatException($"{vocabPath}: expected a JSON object of token ids, found {vocab?.GetValueKind()}");

        var mergeList = new JsonArray();
        foreach (string line in File.ReadLines(mergesPath))
        {
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
            mergeList.Add((JsonNode)JsonValue.Create(line));
        }
        var added = new JsonArray();
        if (vocabulary[EndOfText] is JsonNode id)
            added.Add((JsonNode)new JsonObject
            {
                ["id"] = id.GetValue<int>(), ["content"] = EndOfText, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = true, ["special"] = true
            });
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = ByteLevel(),
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["vocab"] = vocabulary.DeepClone(), ["merges"] = mergeList,
            },
        };
        var config = new JsonObject();
        if (added.Count > 0) { config["bos_token"] = EndOfText; config["eos_token"] = EndOfText; }
        return (tokenizer.ToJsonString(), config.ToJsonString());
    }
}
