// Builds small tokenizer.json documents in tests and loads them; not a fixture of real files.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.HuggingFace;

internal static class TokenizerJsonText
{
    /// <summary>A BPE model over <paramref name="tokens"/> (ids in order) with <paramref name="merges"/>, other stages from <paramref name="extra"/>.</summary>
    public static JsonObject Bpe(string[] tokens, string[] merges, JsonObject? modelExtra = null, JsonObject? extra = null)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        var model = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode?)m)]) };
        foreach (var (key, value) in modelExtra ?? []) model[key] = value?.DeepClone();
        var root = new JsonObject { ["version"] = "1.0", ["model"] = model };
        foreach (var (key, value) in extra ?? []) root[key] = value?.DeepClone();
        return root;
    }

    public static PipelineTokenizer Load(JsonNode tokenizer, JsonNode? config = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(tokenizer.ToJsonString()));
        using var configStream = config is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(config.ToJsonString()));
        return TokenizerJsonLoader.Load(stream, configStream);
    }

    public static PipelineTokenizer Load(string tokenizerJson)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(tokenizerJson));
        return TokenizerJsonLoader.Load(stream);
    }

    /// <summary>A section of a one-off JSON text, for stage factory tests.</summary>
    public static JsonSection Section(string json) => new(JsonDocument.Parse(json).RootElement.Clone(), "stage", "tokenizer.json");

    public static StageFactory Factory(Func<string, int>? resolve = null, Func<int, string?>? tokenText = null) =>
        new(resolve ?? (_ => -1), tokenText ?? (_ => null));

    /// <summary>The texts of the pieces a pre-tokenizer makes of <paramref name="input"/>.</summary>
    public static string[] PreTokenize(IPreTokenizer preTokenizer, string input, INormalizer? normalizer = null)
    {
        var text = new NormalizedText();
        text.Reset(input, 0);
        normalizer?.Normalize(text);
        var pieces = new List<TextPiece> { new(0, text.Length) };
        preTokenizer.PreTokenize(text, pieces);
        return [.. pieces.Select(p => text.Text.Slice(p.Start, p.Length).ToString())];
    }

    public static string Normalize(INormalizer normalizer, string input)
    {
        var text = new NormalizedText();
        text.Reset(input, 0);
        normalizer.Normalize(text);
        return text.Text.ToString();
    }
}
