// The id <-> text table and token attributes after llama.cpp's load-time fix-ups.
namespace Quill.Tokenizers;

/// <summary>
/// Token texts, attributes and the end-of-generation set, built the way llama.cpp's <c>llama_vocab::impl::load</c>
/// builds them: empty texts become "[EMPTY_i]", duplicates are an error, and tokens whose text looks like an
/// end-of-turn / fill-in-the-middle marker are made control tokens (and the end-of-turn ones end generation).
/// </summary>
internal sealed class TokenTable
{
    // Texts llama.cpp treats as end of generation (special_eog_ids) and marks control.
    private static readonly HashSet<string> EndOfGenerationTexts = new(StringComparer.Ordinal)
    {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    };

    // Fill-in-the-middle markers llama.cpp finds by text and marks control; the pad/repo/file-separator ones also end generation.
    private static readonly HashSet<string> FimTexts = new(StringComparer.Ordinal)
    {
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
        "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
        "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
    };

    private static readonly HashSet<string> FimEndOfGenerationTexts = new(StringComparer.Ordinal)
    {
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
        "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
        "<|file_sep|>",
    };

    // gpt-oss: llama.cpp always renders these, so they are user-defined whatever the file says.
    private static readonly HashSet<string> AlwaysUserDefinedTexts = new(StringComparer.Ordinal)
    {
        "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>",
    };

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<int> _endOfGeneration;

    public TokenTable(string source, string[] tokens, int[]? tokenTypes, IEnumerable<int> endOfGenerationIds)
    {
        int count = tokens.Length;
        Texts = new string[count];
        Attributes = new TokenAttributes[count];
        _ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string text = string.IsNullOrEmpty(tokens[i]) ? $"[EMPTY_{i}]" : tokens[i];
            if (!_ids.TryAdd(text, i)) throw DuplicateToken(source, text, _ids[text], i);
            Texts[i] = text;
            Attributes[i] = tokenTypes is null ? TokenAttributes.Normal : GgufTokenType.ToAttributes(tokenTypes[i]);
        }
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        _endOfGeneration = [];
        for (int i = 0; i < count; i++)
        {
            string text = Texts[i];
            if (FimTexts.Contains(text)) Attributes[i] |= TokenAttributes.Control;
            if (FimEndOfGenerationTexts.Contains(text) || EndOfGenerationTexts.Contains(text))
            {
                Attributes[i] |= TokenAttributes.Control;
                _endOfGeneration.Add(i);
            }
        }
        for (int i = 0; i < count; i++)
        {
            if (AlwaysUserDefinedTexts.Contains(Texts[i])) Attributes[i] = TokenAttributes.UserDefined;
        }
        foreach (int id in endOfGenerationIds)
        {
            if ((uint)id < (uint)count) _endOfGeneration.Add(id);
        }
        RemoveHarmonyEnd();
        RemoveGemma4EndOfSentence();
    }

    public string[] Texts { get; }

    public TokenAttributes[] Attributes { get; }

    public int Count => Texts.Length;

    public IReadOnlyCollection<int> EndOfGenerationIds => _endOfGeneration;

    public bool IsEndOfGeneration(int id) => _endOfGeneration.Contains(id);

    /// <summary>The id whose text is exactly <paramref name="text"/> (any token type), or -1.</summary>
    public int Find(ReadOnlySpan<char> text) => _lookup.TryGetValue(text, out int id) ? id : -1;

    public bool Has(int id, TokenAttributes attribute) => (Attributes[id] & attribute) != 0;

    /// <summary>o200k_harmony / solar-open: when "&lt;|return|&gt;" and "&lt;|call|&gt;" end generation, "&lt;|end|&gt;" does not.</summary>
    private void RemoveHarmonyEnd()
    {
        bool hasReturn = false, hasCall = false, hasFlush = false;
        int endId = -1;
        foreach (int id in _endOfGeneration)
        {
            switch (Texts[id])
            {
                case "<|return|>": hasReturn = true; break;
                case "<|call|>" or "<|calls|>": hasCall = true; break;
                case "<|flush|>": hasFlush = true; break;
                case "<|end|>": endId = id; break;
            }
        }
        if (endId >= 0 && hasCall && (hasReturn || hasFlush))
        {
            _endOfGeneration.Remove(endId);
            Attributes[endId] = TokenAttributes.UserDefined;
        }
    }

    /// <summary>Gemma 4 / PaddleOCR: with "&lt;|tool_response&gt;" present, "&lt;/s&gt;" is a normal token.</summary>
    private void RemoveGemma4EndOfSentence()
    {
        bool hasToolResponse = false;
        int sentenceEndId = -1;
        foreach (int id in _endOfGeneration)
        {
            if (Texts[id] == "<|tool_response>") hasToolResponse = true;
            else if (Texts[id] == "</s>") sentenceEndId = id;
        }
        if (hasToolResponse && sentenceEndId >= 0)
        {
            _endOfGeneration.Remove(sentenceEndId);
            Attributes[sentenceEndId] = TokenAttributes.Normal;
        }
    }

    private static InvalidDataException DuplicateToken(string source, string text, int first, int second) =>
        new($"{source}: token texts must be unique, found '{text}' at ids {first} and {second}, in tokenizer.ggml.tokens");
}
