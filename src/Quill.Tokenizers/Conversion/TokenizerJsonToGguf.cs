// Converts a Hugging Face tokenizer.json (+ tokenizer_config.json) to GGUF tokenizer metadata as llama.cpp's converter does.
using System.Text;
using Quill.Formats.Gguf;

namespace Quill.Tokenizers.Conversion;

/// <summary>
/// Builds the tokenizer.ggml.* metadata convert_hf_to_gguf.py / gguf-py write, from tokenizer.json alone:
/// <list type="bullet">
/// <item>byte-level BPE (no byte_fallback, decoder ByteLevel: GPT-2, Llama 3, Qwen2/3) becomes model "gpt2" with the
/// merges; tokenizer.ggml.pre is named from the pre-tokenizer regex (the converter hashes the tokenizer's output on a
/// probe text instead): Llama 3's → "llama-bpe", Qwen2's (single digits) → "qwen2", a ByteLevel pre-tokenizer with
/// use_regex → "gpt-2".</item>
/// <item>BPE with byte_fallback (Llama 2, Mistral, Gemma 3) becomes model "llama", pre "default", with scores (see
/// <see cref="SentencePieceScores"/>) and add_space_prefix true exactly when the normalizer prepends "▁" (false for
/// Gemma, as the converter writes for it).</item>
/// </list>
/// Tokens are written by id, holes as "[PAD{id}]" (unused). Types: byte for &lt;0xXX&gt; (llama), unknown for the unk
/// token (llama), control for added tokens marked special or looking special (&lt;|…|&gt;, &lt;unused…&gt;, &lt;pad&gt;,
/// &lt;mask&gt;), user-defined for other added tokens (their "▁" written as spaces), normal otherwise. Special ids come
/// from tokenizer_config.json's bos/eos/unk/sep/pad/cls/mask tokens looked up among the added tokens;
/// add_bos/add_eos from the TemplateProcessing post-processor, then the config's add_*_token; the chat template from
/// the config.
/// </summary>
public static class TokenizerJsonToGguf
{
    private const float AddedTokenScore = -1000f;
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    private const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The vocabulary llama.cpp would read from the converted metadata.</summary>
    public static GgufVocabulary Convert(string tokenizerJsonPath, string? configPath = null, TokenizerJsonConversionOptions? options = null) =>
        Read(tokenizerJsonPath, configPath, options).Vocabulary;

    /// <summary>The tokenizer key-values, in the converter's order, ready for <see cref="GgufWriter.Set"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(string tokenizerJsonPath, string? configPath = null,
        TokenizerJsonConversionOptions? options = null) => Read(tokenizerJsonPath, configPath, options).Entries;

    /// <summary>
    /// Writes a vocab-only GGUF llama.cpp loads (<c>vocab_only</c>): general.architecture "llama" with placeholder
    /// hyper-parameters (llama.cpp reads them even then) and the tokenizer metadata. No tensors.
    /// </summary>
    public static void WriteVocabOnlyGguf(string tokenizerJsonPath, string outputPath, string? configPath = null,
        TokenizerJsonConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        GgufTokenizerMetadata metadata = Read(tokenizerJsonPath, configPath, options);
        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.Set("general.type", "vocab");
        writer.Set("llama.context_length", 4096u);
        writer.Set("llama.embedding_length", 64u);
        writer.Set("llama.block_count", 1u);
        writer.Set("llama.feed_forward_length", 128u);
        writer.Set("llama.attention.head_count", 2u);
        writer.Set("llama.attention.head_count_kv", 2u);
        writer.Set("llama.rope.dimension_count", 32u);
        writer.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        writer.Set("llama.vocab_size", (uint)metadata.Vocabulary.Tokens.Length);
        metadata.WriteTo(writer);
        writer.WriteTo(outputPath);
    }

    /// <summary>Reads both files and builds the metadata; malformed input throws <see cref="InvalidDataException"/>.</summary>
    public static GgufTokenizerMetadata Read(string tokenizerJsonPath, string? configPath = null, TokenizerJsonConversionOptions? options = null)
    {
        options ??= TokenizerJsonConversionOptions.Default;
        TokenizerJsonFiles files = TokenizerJsonFiles.Read(tokenizerJsonPath, configPath);
        string file = files.TokenizerPath;
        bool byteLevel = !files.ByteFallback && files.DecoderType == "ByteLevel";
        if (!byteLevel && !files.ByteFallback)
        {
            throw TokenizerJsonErrors.Unsupported(file, "model", "byte-level BPE (decoder ByteLevel) or BPE with byte_fallback",
                $"BPE with decoder {files.DecoderType ?? "none"} and no byte_fallback");
        }

        (string[] tokens, int[] types) = TokensAndTypes(files, byteLevel, options.VocabularySize);
        var entries = new List<KeyValuePair<string, object>>();
        void Add(string key, object value) => entries.Add(new(key, value));

        Add("tokenizer.ggml.model", byteLevel ? "gpt2" : "llama");
        Add("tokenizer.ggml.pre", byteLevel ? PreTokenizerName(files) : "default");
        Add("tokenizer.ggml.tokens", tokens);
        if (!byteLevel) Add("tokenizer.ggml.scores", Scores(files, tokens, types, options.Scores));
        Add("tokenizer.ggml.token_type", types);
        if (byteLevel) Add("tokenizer.ggml.merges", files.Merges);
        AddSpecialVocab(files, tokens.Length, Add);
        if (!byteLevel) Add("tokenizer.ggml.add_space_prefix", files.PrependsSpace);
        return new GgufTokenizerMetadata(entries);
    }

    private static (string[] Tokens, int[] Types) TokensAndTypes(TokenizerJsonFiles files, bool byteLevel, int? vocabularySize)
    {
        int count = 0;
        foreach (int id in files.Vocab.Values) count = Math.Max(count, id + 1);
        foreach (AddedTokenEntry added in files.AddedTokens) count = Math.Max(count, added.Id + 1);
        if (vocabularySize is int size)
        {
            if (size < count)
                throw TokenizerJsonErrors.Invalid(files.TokenizerPath, $"token ids must be below the vocabulary size {size}, found id {count - 1}");
            count = size;
        }

        var tokens = new string[count];
        var types = new int[count];
        foreach ((string text, int id) in files.Vocab)
        {
            if (tokens[id] is not null)
                throw TokenizerJsonErrors.Invalid(files.TokenizerPath,
                $"expected one token per id, found \"{tokens[id]}\" and \"{text}\" both with id {id}, in model.vocab");
            tokens[id] = text;
            types[id] = byteLevel ? Normal : text == files.UnknownToken ? Unknown : IsByteToken(text) ? Byte : Normal;
        }
        foreach (AddedTokenEntry added in files.AddedTokens)
        {
            string text = added.Content;
            if (added.Special || LooksSpecial(text))
            {
                types[added.Id] = Control;
            }
            else
            {
                // llama.cpp matches user-defined tokens in the raw text, so SentencePiece's "▁" is written as a space.
                text = text.Replace('\u2581', ' ');
                types[added.Id] = UserDefined;
            }
            tokens[added.Id] = text;
        }
        for (int id = 0; id < count; id++)
        {
            if (tokens[id] is not null) continue;
            tokens[id] = $"[PAD{id}]";
            types[id] = Unused;
        }
        return (tokens, types);
    }

    // convert_hf_to_gguf.py's does_token_look_special.
    private static bool LooksSpecial(string text) =>
        text is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal))
        || (text.StartsWith("<｜", StringComparison.Ordinal) && text.EndsWith("｜>", StringComparison.Ordinal))
        || (text.StartsWith("<unused", StringComparison.Ordinal) && text.EndsWith('>'));

    private static bool IsByteToken(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
        && char.IsAsciiHexDigit(text[3]) && char.IsAsciiHexDigit(text[4]);

    private static float[] Scores(TokenizerJsonFiles files, string[] tokens, int[] types, SentencePieceScores mode)
    {
        var scores = new float[tokens.Length];
        if (mode == SentencePieceScores.Constant)
        {
            Array.Fill(scores, AddedTokenScore);
            return scores;
        }
        var rank = new Dictionary<string, int>(files.Merges.Length, StringComparer.Ordinal);
        for (int r = 0; r < files.Merges.Length; r++)
        {
            string merge = files.Merges[r];
            int space = merge.IndexOf(' ');
            rank.TryAdd(string.Concat(merge.AsSpan(0, space), merge.AsSpan(space + 1)), r);
        }
        for (int id = 0; id < tokens.Length; id++)
        {
            scores[id] = types[id] switch
            {
                Normal => rank.TryGetValue(tokens[id], out int r) ? -(r + 1) : -(files.Merges.Length + 1),
                UserDefined or Unused => AddedTokenScore,
                _ => 0f,
            };
        }
        return scores;
    }

    private static string PreTokenizerName(TokenizerJsonFiles files)
    {
        if (files.SplitRegex == Llama3Regex) return "llama-bpe";
        if (files.SplitRegex == Qwen2Regex) return "qwen2";
        if (files.SplitRegex is null && files.ByteLevelRegex) return "gpt-2";
        string found = files.SplitRegex is null ? "no split regex" : $"the regex \"{Shorten(files.SplitRegex)}\"";
        throw TokenizerJsonErrors.Unsupported(files.TokenizerPath, "pre_tokenizer",
            "the Llama 3 or Qwen2 Split regex, or ByteLevel with use_regex (GPT-2)", found);
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>gguf-py's SpecialVocab: add_* flags from the post-processor, then the config; ids of the config's tokens.</summary>
    private static void AddSpecialVocab(TokenizerJsonFiles files, int count, Action<string, object> add)
    {
        TokenizerConfig? config = files.Config;
        var addSpecial = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (files.HasTemplate)
        {
            // Without a config the template's own first/last tokens count as BOS/EOS.
            string? bos = config is null ? files.TemplateFirst : config.SpecialTokens.GetValueOrDefault("bos");
            string? cls = config?.SpecialTokens.GetValueOrDefault("cls");
            string? eos = config is null ? files.TemplateLast : config.SpecialTokens.GetValueOrDefault("eos");
            if (files.TemplateFirst is string first) addSpecial["bos"] = first == bos || first == cls;
            if (files.TemplateLast is string last) addSpecial["eos"] = last == eos;
        }
        if (config is not null)
        {
            foreach ((string type, bool value) in config.AddSpecial) addSpecial[type] = value;
        }

        if (config is not null)
        {
            foreach (string type in TokenizerConfig.SpecialTypes)
            {
                if (!config.SpecialTokens.TryGetValue(type, out string? content)) continue;
                int id = -1;
                foreach (AddedTokenEntry added in files.AddedTokens)
                {
                    if (added.Content == content) { id = added.Id; break; }
                }
                if (id >= 0 && id < count) add(IdKey(type), (uint)id);
            }
        }
        foreach (string type in (string[])["bos", "eos", "sep"])
        {
            if (addSpecial.TryGetValue(type, out bool value)) add($"tokenizer.ggml.add_{type}_token", value);
        }
        if (config?.ChatTemplate is not null || config?.NamedChatTemplates.Length > 0) AddChatTemplates(config, add);
    }

    private static string IdKey(string type) => type switch
    {
        "unk" => "tokenizer.ggml.unknown_token_id",
        "sep" => "tokenizer.ggml.seperator_token_id", // sic: the GGUF key is spelled this way
        "pad" => "tokenizer.ggml.padding_token_id",
        _ => $"tokenizer.ggml.{type}_token_id",
    };

    private static void AddChatTemplates(TokenizerConfig config, Action<string, object> add)
    {
        var names = new List<string>();
        foreach ((string rawName, string template) in config.NamedChatTemplates)
        {
            // gguf-py keeps ASCII letters and digits of a template name, '_' for the rest.
            var name = new StringBuilder(rawName.Length);
            foreach (char c in rawName) name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
            if (name.Length == 0 || names.Contains(name.ToString())) continue;
            names.Add(name.ToString());
            add($"tokenizer.chat_template.{name}", template);
        }
        if (names.Count > 0) add("tokenizer.chat_templates", names.ToArray());
        if (config.ChatTemplate is not null) add("tokenizer.chat_template", config.ChatTemplate);
    }
}
