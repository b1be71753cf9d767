// Builds a GgufTokenizer from tokenizer.ggml.* metadata with llama.cpp's defaults.
using Quill.Formats.Gguf;
using Quill.Tokenizers.Models;
using Quill.Tokenizers.Models.Bpe;
using Quill.Tokenizers.Models.SentencePiece;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers;

/// <summary>Creates the tokenizer of a GGUF file (vocabularies "llama" and "gpt2").</summary>
public static class GgufTokenizerLoader
{
    private const string Source = "GGUF vocabulary";

    /// <summary>Builds a tokenizer; throws <see cref="InvalidDataException"/> when the vocabulary is inconsistent.</summary>
    public static ITokenizer Create(GgufVocabulary vocabulary) => CreateTokenizer(vocabulary, Source);

    /// <summary>Reads tokenizer.ggml.* from <paramref name="file"/> the way llama.cpp does, defaults included.</summary>
    public static ITokenizer Load(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return CreateTokenizer(ReadVocabulary(file), file.Path);
    }

    /// <summary>
    /// The vocabulary of <paramref name="file"/> with llama.cpp's defaults: for "llama" BOS 1, EOS 2, UNK 0, add BOS,
    /// add space prefix; for "gpt2" BOS = EOS = 11, no UNK, add BOS only for Llama-3-style pre-tokenizers. Ids outside
    /// the vocabulary are ignored (llama.cpp warns and keeps the default).
    /// </summary>
    public static GgufVocabulary ReadVocabulary(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string model = file.GetString("tokenizer.ggml.model") ?? throw Missing(file.Path, "tokenizer.ggml.model");
        string? pre = file.GetString("tokenizer.ggml.pre");
        string[] tokens = file.GetStringArray("tokenizer.ggml.tokens") ?? throw Missing(file.Path, "tokenizer.ggml.tokens");
        float[]? scores = ReadScores(file);
        int[]? types = file.GetInt32Array("tokenizer.ggml.token_type");
        string[]? merges = file.GetStringArray("tokenizer.ggml.merges");

        int bos, eos, unknown;
        bool addBos, addSpacePrefix;
        switch (model)
        {
            case "llama":
                (bos, eos, unknown, addBos, addSpacePrefix) = (1, 2, 0, true, true);
                break;
            case "gpt2":
                (bos, eos, unknown, addSpacePrefix) = (11, 11, -1, false);
                addBos = BpePreTokenizer.TryFor(pre)?.AddBosByDefault ?? false;
                break;
            default:
                throw UnsupportedModel(file.Path, model);
        }
        bos = InRange(bos, tokens.Length);
        eos = InRange(eos, tokens.Length);
        unknown = InRange(unknown, tokens.Length);
        bos = ReadId(file, "tokenizer.ggml.bos_token_id", tokens.Length) ?? bos;
        eos = ReadId(file, "tokenizer.ggml.eos_token_id", tokens.Length) ?? eos;
        unknown = ReadId(file, "tokenizer.ggml.unknown_token_id", tokens.Length) ?? unknown;
        int padding = ReadId(file, "tokenizer.ggml.padding_token_id", tokens.Length) ?? -1;

        var endOfGeneration = new List<int>();
        if (eos >= 0) endOfGeneration.Add(eos);
        foreach (string key in (string[])["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
                     "tokenizer.ggml.fim_pad_token_id", "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id"])
        {
            if (ReadId(file, key, tokens.Length) is int id) endOfGeneration.Add(id);
        }

        return new GgufVocabulary(model, pre, tokens, scores, types, merges, bos, eos, unknown, padding, [.. endOfGeneration],
            AddBos: file.GetBool("tokenizer.ggml.add_bos_token") ?? addBos,
            AddEos: file.GetBool("tokenizer.ggml.add_eos_token") ?? false,
            AddSpacePrefix: file.GetBool("tokenizer.ggml.add_space_prefix") ?? addSpacePrefix);
    }

    private static GgufTokenizer CreateTokenizer(GgufVocabulary v, string source)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (v.Tokens is null || v.Tokens.Length == 0) throw Invalid(source, "tokenizer.ggml.tokens must hold at least one token, found none");
        int count = v.Tokens.Length;
        if (v.Scores is not null && v.Scores.Length < count) throw ShortArray(source, "tokenizer.ggml.scores", v.Scores.Length, count);
        if (v.TokenTypes is not null && v.TokenTypes.Length < count) throw ShortArray(source, "tokenizer.ggml.token_type", v.TokenTypes.Length, count);
        CheckId(source, "tokenizer.ggml.bos_token_id", v.BosId, count);
        CheckId(source, "tokenizer.ggml.eos_token_id", v.EosId, count);
        CheckId(source, "tokenizer.ggml.unknown_token_id", v.UnknownId, count);
        CheckId(source, "tokenizer.ggml.padding_token_id", v.PaddingId, count);
        foreach (int id in v.EndOfGenerationIds ?? []) CheckId(source, "end-of-generation id", id, count);
        if (v.AddBos && v.BosId < 0) throw Invalid(source, "tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        if (v.AddEos && v.EosId < 0) throw Invalid(source, "tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");

        var endOfGeneration = new List<int>(v.EndOfGenerationIds ?? []);
        if (v.EosId >= 0) endOfGeneration.Add(v.EosId);
        var table = new TokenTable(source, v.Tokens, v.TokenTypes, endOfGeneration);

        ITokenModel model;
        bool cleanSpaces;
        switch (v.Model)
        {
            case "llama":
                model = new SentencePieceBpeModel(table, v.Scores, v.AddSpacePrefix, v.UnknownId);
                cleanSpaces = false;
                break;
            case "gpt2":
                BpePreTokenizer pre = BpePreTokenizer.TryFor(v.Pre) ?? throw UnknownPre(source, v.Pre!);
                if (v.Merges is null) throw Invalid(source, "tokenizer.ggml.merges must be present for a gpt2 vocabulary, found none");
                model = new ByteLevelBpeModel(table, v.Merges, pre);
                cleanSpaces = pre.CleanSpaces;
                break;
            default:
                throw UnsupportedModel(source, v.Model);
        }
        return new GgufTokenizer(table, model, v.Model, v.BosId, v.EosId, v.UnknownId, v.PaddingId,
            v.AddBos, v.AddEos, v.AddSpacePrefix, cleanSpaces);
    }

    /// <summary>Float32 scores, or Int32 ones converted (llama.cpp accepts both).</summary>
    private static float[]? ReadScores(GgufFile file)
    {
        const string key = "tokenizer.ggml.scores";
        if (file.Metadata.TryGetValue(key, out GgufValue? value) && value.ElementType == GgufValueType.Int32)
        {
            return Array.ConvertAll(file.GetInt32Array(key)!, s => (float)s);
        }
        return file.GetFloat32Array(key);
    }

    private static int InRange(int id, int count) => id < count ? id : -1;

    private static int? ReadId(GgufFile file, string key, int count)
    {
        long? value = file.GetInteger(key);
        return value is long id && id >= 0 && id < count ? (int)id : null;
    }

    private static void CheckId(string source, string what, int id, int count)
    {
        if (id < -1 || id >= count) throw Invalid(source, $"{what} must be -1 or in [0, {count}), found {id}");
    }

    private static InvalidDataException Invalid(string source, string message) => new($"{source}: {message}");

    private static InvalidDataException ShortArray(string source, string key, int found, int expected) =>
        new($"{source}: {key} must have one entry per token ({expected}), found {found}");

    private static InvalidDataException Missing(string source, string key) =>
        new($"{source}: expected metadata key '{key}', found none");

    private static InvalidDataException UnsupportedModel(string source, string model) =>
        new($"{source}: tokenizer.ggml.model must be \"llama\" or \"gpt2\", found \"{model}\"");

    private static InvalidDataException UnknownPre(string source, string pre) =>
        new($"{source}: tokenizer.ggml.pre \"{pre}\" is not a pre-tokenizer Quill knows (default, gpt-2, llama3/llama-bpe, qwen2, ...)");
}
