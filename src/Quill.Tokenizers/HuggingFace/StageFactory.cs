// Maps each tokenizer.json stage "type" to its class (normalizers, pre-tokenizers, post-processors, decoders); the model is ModelFactory's.
using System.Text;
using Quill.Tokenizers.HuggingFace.Decoders;
using Quill.Tokenizers.HuggingFace.Normalizers;
using Quill.Tokenizers.HuggingFace.PostProcessors;
using Quill.Tokenizers.HuggingFace.PreTokenizers;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.HuggingFace;

/// <param name="resolve">token text → id (added tokens first), or -1.</param>
/// <param name="tokenText">id → token text, or null.</param>
internal sealed class StageFactory(Func<string, int> resolve, Func<int, string?> tokenText)
{
    public INormalizer Normalizer(JsonSection section)
    {
        string type = section.Type;
        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. section.Items("normalizers").Select(Normalizer)]),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(section.Bool("strip_left", true), section.Bool("strip_right", true)),
            "StripAccents" => new StripAccentsNormalizer(),
            "Replace" => new ReplaceNormalizer(Pattern(section.Required("pattern")), section.StringOr("content", "")),
            "Prepend" => new PrependNormalizer(section.String("prepend")),
            "BertNormalizer" => new BertNormalizer(section.Bool("clean_text", true), section.Bool("handle_chinese_chars", true),
                section.Optional("strip_accents") is null ? null : section.Bool("strip_accents", false), section.Bool("lowercase", true)),
            _ => throw Unknown(section, "normalizer", type),
        };
    }

    public IPreTokenizer PreTokenizer(JsonSection section)
    {
        string type = section.Type;
        return type switch
        {
            "Sequence" => new SequencePreTokenizer([.. section.Items("pretokenizers").Select(PreTokenizer)]),
            "ByteLevel" => new ByteLevelPreTokenizer(section.Bool("add_prefix_space", true), section.Bool("use_regex", true)),
            "Split"
                => new SplitPreTokenizer(Pattern(section.Required("pattern")), SplitBehaviors.Parse(section.Required("behavior")),
                section.Bool("invert", false)),
            "Metaspace" => new MetaspacePreTokenizer(Replacement(section), Scheme(section), section.Bool("split", true)),
            "Whitespace" => SplitPreTokenizer.Whitespace(),
            "WhitespaceSplit" => SplitPreTokenizer.WhitespaceSplit(),
            "Punctuation" => SplitPreTokenizer.Punctuation(section.Optional("behavior") is { } b ? SplitBehaviors.Parse(b) : SplitBehavior.Isolated),
            "Digits" => SplitPreTokenizer.Digits(section.Bool("individual_digits", false)),
            "BertPreTokenizer" => new BertPreTokenizer(),
            _ => throw Unknown(section, "pre_tokenizer", type),
        };
    }

    public IPostProcessor PostProcessor(JsonSection section)
    {
        string type = section.Type;
        return type switch
        {
            "TemplateProcessing" => Template(section),
            "ByteLevel" => new ByteLevelPostProcessor(section.Bool("trim_offsets", true), section.Bool("add_prefix_space", true), tokenText),
            "RobertaProcessing" => new RobertaPostProcessor(SpecialPair(section, "cls"), SpecialPair(section, "sep"),
                section.Bool("trim_offsets", true), section.Bool("add_prefix_space", true), tokenText),
            "Sequence" => new SequencePostProcessor([.. section.Items("processors").Select(PostProcessor)]),
            "BertProcessing"
                => new BertProcessing(SpecialText(section, "sep"), SpecialPair(section, "sep"), SpecialText(section, "cls"), SpecialPair(section, "cls")),
            _ => throw Unknown(section, "post_processor", type),
        };
    }

    public ITokenDecoder Decoder(JsonSection section)
    {
        string type = section.Type;
        return type switch
        {
            "Sequence" => new SequenceDecoder([.. section.Items("decoders").Select(Decoder)]),
            "ByteLevel" => new ByteLevelDecoder(),
            "Metaspace" => new MetaspaceDecoder(Replacement(section), Scheme(section)),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(SingleChar(section.Required("content")), section.Int("start", 0), section.Int("stop", 0)),
            "Replace" => new ReplaceDecoder(Pattern(section.Required("pattern")), section.StringOr("content", "")),
            "BPEDecoder" => new BpeSuffixDecoder(section.StringOr("suffix", "</w>")),
            "WordPiece" => new WordPieceDecoder(section.StringOr("prefix", "##"), section.Bool("cleanup", true)),
            _ => throw Unknown(section, "decoder", type),
        };
    }

    /// <summary>{"String": "..."} or {"Regex": "..."}; known family regexes run on hand-written scanners.</summary>
    private static SplitPattern Pattern(JsonSection pattern)
    {
        if (pattern.Optional("String") is { } literal) return new LiteralSplitPattern(literal.AsString());
        if (pattern.Optional("Regex") is { } regex)
        {
            string text = regex.AsString();
            return ScannerSplitPattern.TryFor(text) ?? new RegexSplitPattern(OnigurumaTranslator.Translate(text, regex));
        }
        throw pattern.Error($"expected a pattern {{\"String\": ...}} or {{\"Regex\": ...}}, found {pattern.Describe()}");
    }

    private TemplatePostProcessor Template(JsonSection section)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (section.Optional("special_tokens") is { } map)
        {
            foreach ((string name, JsonSection value) in map.Properties())
            {
                specials[name] = [.. value.Items("ids").Select(id => CheckedId(id, id.AsInt()))];
            }
        }
        var before = new List<int>();
        var after = new List<int>();
        bool seenSequence = false;
        foreach (JsonSection item in section.Items("single"))
        {
            if (item.Optional("SpecialToken") is { } special)
            {
                string id = special.String("id");
                if (!specials.TryGetValue(id, out int[]? ids))
                {
                    int resolved = resolve(id);
                    ids = resolved >= 0 ? [resolved] : throw special.Error($"expected '{id}' in special_tokens, found no such entry");
                }
                (seenSequence ? after : before).AddRange(ids);
            }
            else if (item.Optional("Sequence") is { } sequence)
            {
                string id = sequence.String("id");
                if (id != "A" || seenSequence) throw sequence.Error($"expected the single template to hold sequence A once, found '{id}'");
                seenSequence = true;
            }
            else
            {
                throw item.Error($"expected a template item SpecialToken or Sequence, found {item.Describe()}");
            }
        }
        return new TemplatePostProcessor([.. before], [.. after]);
    }

    private int SpecialPair(JsonSection section, string name)
    {
        JsonSection pair = section.Required(name);
        if (pair.ArrayLength != 2) throw pair.Error($"expected [token, id], found {pair.Describe()}");
        JsonSection id = pair.Items().ElementAt(1);
        return CheckedId(id, id.AsInt());
    }

    private static string SpecialText(JsonSection section, string name) => section.Required(name).Items().First().AsString();

    private int CheckedId(JsonSection where, int id) =>
        tokenText(id) is not null ? id : throw where.Error($"expected a token id of the vocabulary, found {id}");

    private static char Replacement(JsonSection section)
    {
        JsonSection? value = section.Optional("replacement");
        return value is null ? '\u2581' : SingleChar(value.Value);
    }

    private static PrependScheme Scheme(JsonSection section)
    {
        if (section.Optional("prepend_scheme") is { } scheme)
        {
            return scheme.AsString() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                string other => throw scheme.Error($"expected prepend_scheme always, first or never, found '{other}'"),
            };
        }
        return section.Bool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
    }

    private static char SingleChar(JsonSection value)
    {
        string text = value.AsString();
        return text.Length == 1 ? text[0] : throw value.Error($"expected a single character, found {value.Describe()}");
    }

    private static InvalidDataException Unknown(JsonSection section, string stage, string type) =>
        section.Error($"unknown {stage} type '{type}'");

}
