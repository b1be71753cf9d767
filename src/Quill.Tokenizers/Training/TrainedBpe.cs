// A learned byte-level BPE (tokens by id, merges in rank order) and its writers to tokenizer.json and GGUF.
using System.Text.Encodings.Web;
using System.Text.Json;
using Quill.Tokenizers.Conversion;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Training;

/// <summary>
/// Tokens are written in GPT-2's byte-level alphabet ("Ġ" for a space); ids 0.. are the special tokens, then the 256
/// bytes, then one token per merge (fewer when a merge rebuilds a token that already exists). The tokenizer.json is
/// Hugging Face's: model BPE, pre-tokenizer and decoder ByteLevel (no prefix space, GPT-2 regex), post-processor
/// ByteLevel without offset trimming, the specials as added tokens.
/// </summary>
public sealed class TrainedBpe
{
    internal TrainedBpe(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges, IReadOnlyList<string> specialTokens)
    {
        Tokens = tokens;
        Merges = merges;
        SpecialTokens = specialTokens;
    }

    /// <summary>Token text by id, in the byte-level alphabet.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The merges, highest priority first.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>The special tokens, ids 0 upward.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The tokenizer.json text, UTF-8, indented.</summary>
    public byte[] ToTokenizerJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            json.WriteStartArray("added_tokens");
            for (int id = 0; id < SpecialTokens.Count; id++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("content", SpecialTokens[id]);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNull("normalizer");
            ByteLevel(json, "pre_tokenizer", trimOffsets: true);
            ByteLevel(json, "post_processor", trimOffsets: false);
            ByteLevel(json, "decoder", trimOffsets: true);
            json.WriteStartObject("model");
            json.WriteString("type", "BPE");
            json.WriteNull("dropout");
            json.WriteNull("unk_token");
            json.WriteNull("continuing_subword_prefix");
            json.WriteNull("end_of_word_suffix");
            json.WriteBoolean("fuse_unk", false);
            json.WriteBoolean("byte_fallback", false);
            json.WriteBoolean("ignore_merges", false);
            json.WriteStartObject("vocab");
            for (int id = 0; id < Tokens.Count; id++) json.WriteNumber(Tokens[id], id);
            json.WriteEndObject();
            json.WriteStartArray("merges");
            foreach ((string left, string right) in Merges) json.WriteStringValue($"{left} {right}");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// The tokenizer_config.json: clean_up_tokenization_spaces false (so decoding gives back the text), no BOS/EOS
    /// added, and the first special token (GPT-2 style) as bos_token and eos_token.
    /// </summary>
    public byte[] ToTokenizerConfigJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteBoolean("add_bos_token", false);
            json.WriteBoolean("add_eos_token", false);
            json.WriteBoolean("clean_up_tokenization_spaces", false);
            if (SpecialTokens.Count > 0)
            {
                json.WriteString("bos_token", SpecialTokens[0]);
                json.WriteString("eos_token", SpecialTokens[0]);
            }
            json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            json.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Writes tokenizer.json, tokenizer_config.json and tokenizer.gguf (a vocab-only GGUF converted from the two as
    /// llama.cpp's converter would: model "gpt2", pre "gpt-2") into <paramref name="folder"/>, creating it.
    /// </summary>
    public TrainedBpeFiles WriteFiles(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        var files = new TrainedBpeFiles(
            Path.Combine(folder, "tokenizer.json"), Path.Combine(folder, "tokenizer_config.json"), Path.Combine(folder, "tokenizer.gguf"));
        File.WriteAllBytes(files.TokenizerJson, ToTokenizerJson());
        File.WriteAllBytes(files.TokenizerConfig, ToTokenizerConfigJson());
        TokenizerJsonToGguf.WriteVocabOnlyGguf(files.TokenizerJson, files.Gguf, files.TokenizerConfig);
        return files;
    }

    /// <summary>The tokenizer this describes, loaded from the JSON as the written files would be.</summary>
    public PipelineTokenizer ToTokenizer()
    {
        using JsonDocument tokenizer = JsonDocument.Parse(ToTokenizerJson());
        using JsonDocument config = JsonDocument.Parse(ToTokenizerConfigJson());
        return TokenizerJsonLoader.Load(tokenizer, config, sourceName: "trained tokenizer.json");
    }

    private static void ByteLevel(Utf8JsonWriter json, string name, bool trimOffsets)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
    }
}

/// <summary>The paths <see cref="TrainedBpe.WriteFiles"/> wrote.</summary>
public sealed record TrainedBpeFiles(string TokenizerJson, string TokenizerConfig, string Gguf);
