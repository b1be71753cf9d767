// Every task done by prompting a generative model: constrained to the label set, to spans of the input or to a schema.
using System.Text;
using System.Text.Json;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Tasks.Automata;
using Quill.Tasks.Prompting;
using Quill.Tasks.Text;

namespace Quill.Tasks.Generative;

/// <summary>
/// The tasks on a <see cref="TaskModel"/>. Each renders its prompt (<see cref="TaskPrompts"/>, or the one given) as a
/// user turn through the chat template and decodes greedily under a constraint, so the result always has its shape:
/// labels come from the set, entity words, keywords and answers are exact spans of the input (from a word start to a
/// word end, on one line) with code point offsets, tags come from the Universal Dependencies set, extraction is JSON
/// valid against the schema. Scores are probabilities under the model restricted to what the constraint allows.
/// </summary>
public sealed class GenerativeTasks
{
    /// <summary>The 17 Universal Dependencies part-of-speech tags.</summary>
    public static IReadOnlyList<string> UniversalTags { get; } =
        ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"];

    private readonly TaskModel _model;

    public GenerativeTasks(TaskModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>Most tokens a span-listing task (ner, keywords) may generate.</summary>
    public int MaxListTokens { get; init; } = 256;

    /// <summary>
    /// Every label with its probability as the whole reply (text then end of turn), normalized over the labels;
    /// sorted, highest first, summing to 1.
    /// </summary>
    public IReadOnlyList<LabelScore> Classify(string text, IReadOnlyList<string> labels, string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "classify");
        TaskInput.RequireNames(labels, "classify", "labels");
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Classify, new Dictionary<string, string>
        {
            ["text"] = text,
            ["labels"] = string.Join(", ", labels),
        }));
        double[] logprobs = _model.ScoreReplies(tokens, labels, ct);
        return LabelScores.FromLogprobs(labels, logprobs);
    }

    /// <summary>The entities of <paramref name="types"/> in <paramref name="text"/>, in the order the model lists them.</summary>
    public IReadOnlyList<EntitySpan> Ner(string text, IReadOnlyList<string> types, string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "ner");
        TaskInput.RequireNames(types, "ner", "types");
        var offsets = new TextOffsets(text);
        var automaton = new SpanLinesAutomaton(offsets, types, maxLines: 64, allowEmpty: true);
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Ner, new Dictionary<string, string>
        {
            ["text"] = text,
            ["types"] = string.Join(", ", types),
        }));
        ConstrainedOutput output = _model.Decode(tokens, new ByteAutomatonConstraint(_model.Tokenizer, automaton), MaxListTokens, ct);
        var result = new List<EntitySpan>();
        int notBefore = 0;
        foreach ((int start, int end) in Lines(output.Bytes))
        {
            string line = Encoding.UTF8.GetString(output.Bytes, start, end - start);
            string? type = types.Where(t => line.StartsWith(t + ": ", StringComparison.Ordinal)).MaxBy(t => t.Length);
            if (type is null) continue;
            int spanStart = start + Encoding.UTF8.GetByteCount(type) + 2;
            if (spanStart >= end) continue;
            int at = automaton.Spans.Locate(output.Bytes.AsSpan(spanStart, end - spanStart), notBefore);
            if (at < 0) continue;
            int atEnd = at + end - spanStart;
            notBefore = atEnd;
            result.Add(new EntitySpan(type, offsets.Slice(at, atEnd), offsets.CodePointOffset(at), offsets.CodePointOffset(atEnd),
                Math.Exp(output.MeanLogprob(start, end))));
        }
        return result;
    }

    /// <summary>One Universal Dependencies tag (<see cref="UniversalTags"/>) per word and punctuation mark, in order.</summary>
    public IReadOnlyList<EntitySpan> Pos(string text, string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "pos");
        var offsets = new TextOffsets(text);
        List<(int Start, int End)> words = offsets.Tokens();
        string[] wordTexts = [.. words.Select(w => offsets.Slice(w.Start, w.End))];
        var automaton = new TaggedWordsAutomaton(wordTexts, UniversalTags);
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Pos, new Dictionary<string, string>
        {
            ["text"] = text,
            ["tags"] = string.Join(", ", UniversalTags),
        }));
        int budget = words.Sum(w => w.End - w.Start + 2) + 8 * words.Count + 1;
        ConstrainedOutput output = _model.Decode(tokens, new ByteAutomatonConstraint(_model.Tokenizer, automaton), budget, ct);
        var result = new List<EntitySpan>(words.Count);
        int at = 0;
        byte[] bytes = output.Bytes;
        for (int i = 0; i < words.Count; i++)
        {
            at += (i > 0 ? 1 : 0) + words[i].End - words[i].Start + 1;
            if (at > bytes.Length) break;
            int tagEnd = at;
            while (tagEnd < bytes.Length && bytes[tagEnd] != (byte)' ') tagEnd++;
            string tag = Encoding.UTF8.GetString(bytes, at, tagEnd - at);
            result.Add(new EntitySpan(tag, wordTexts[i], offsets.CodePointOffset(words[i].Start), offsets.CodePointOffset(words[i].End),
                Math.Exp(output.MeanLogprob(at, tagEnd))));
            at = tagEnd;
        }
        return result;
    }

    /// <summary>The answer to <paramref name="question"/> as a span of <paramref name="context"/>; its score is the span's probability.</summary>
    public ExtractedAnswer Qa(string context, string question, string? prompt = null, int maxTokens = 64, CancellationToken ct = default)
    {
        TaskInput.RequireText(context, "qa", "context");
        TaskInput.RequireText(question, "qa", "question");
        var offsets = new TextOffsets(context);
        var automaton = new SpanLinesAutomaton(offsets, labels: null, maxLines: 1, allowEmpty: false);
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Qa, new Dictionary<string, string>
        {
            ["context"] = context,
            ["question"] = question,
            ["text"] = context,
        }));
        ConstrainedOutput output = _model.Decode(tokens, new ByteAutomatonConstraint(_model.Tokenizer, automaton), maxTokens, ct);
        int start = automaton.Spans.Locate(output.Bytes, 0);
        if (start < 0) throw new InvalidOperationException("qa: the model ran out of tokens before the answer was a whole span; raise the token limit");
        int end = start + output.Bytes.Length;
        return new ExtractedAnswer(offsets.Slice(start, end), Math.Exp(output.TotalLogprob), offsets.CodePointOffset(start),
            offsets.CodePointOffset(end));
    }

    /// <summary>A JSON value valid against <paramref name="schema"/> holding what the text says (the JSON constraint's schema subset).</summary>
    public JsonElement Extract(string text, JsonElement schema, string? prompt = null, int maxTokens = 512, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "extract");
        ITokenConstraint constraint;
        try
        {
            constraint = JsonConstraint.ForSchema(_model.Tokenizer, schema);
        }
        catch (ArgumentException e)
        {
            string reason = e.Message.Replace("response_format.json_schema: ", "", StringComparison.Ordinal);
            throw new ArgumentException("extract: the schema cannot constrain decoding: " + reason, e);
        }
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Extract, new Dictionary<string, string>
        {
            ["text"] = text,
            ["schema"] = schema.GetRawText(),
        }));
        ConstrainedOutput output = _model.Decode(tokens, constraint, maxTokens, ct);
        if (!output.Complete)
        {
            throw new InvalidOperationException($"extract: the model ran out of tokens ({maxTokens}) before the JSON was complete; raise the token limit");
        }
        using var document = JsonDocument.Parse(output.Bytes);
        return document.RootElement.Clone();
    }

    /// <summary>Up to <paramref name="k"/> keywords the model lists, each a span of the text, scored by the mean probability of its tokens.</summary>
    public IReadOnlyList<Keyword> Keywords(string text, int k = 5, string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "keywords");
        TaskInput.RequireCount(k, "keywords");
        var offsets = new TextOffsets(text);
        var automaton = new SpanLinesAutomaton(offsets, labels: null, maxLines: k, allowEmpty: false);
        int[] tokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? TaskPrompts.Keywords, new Dictionary<string, string>
        {
            ["text"] = text,
            ["k"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        ConstrainedOutput output = _model.Decode(tokens, new ByteAutomatonConstraint(_model.Tokenizer, automaton), MaxListTokens, ct);
        var result = new List<Keyword>();
        foreach ((int start, int end) in Lines(output.Bytes))
        {
            int at = automaton.Spans.Locate(output.Bytes.AsSpan(start, end - start), 0);
            if (at < 0) continue;
            int atEnd = at + end - start;
            result.Add(new Keyword(offsets.Slice(at, atEnd), Math.Exp(output.MeanLogprob(start, end)), offsets.CodePointOffset(at),
                offsets.CodePointOffset(atEnd)));
        }
        return result;
    }

    /// <summary>
    /// Summarizes, paraphrases, simplifies, translates (into <paramref name="language"/>), replies to an instruction
    /// (generate), or continues the text with no chat template (complete; the result starts with the text, as
    /// Hugging Face's text-generation returns it). <paramref name="request"/> sets sampling and limits (its prompt is
    /// replaced); <paramref name="onText"/> receives the new text as it is generated.
    /// </summary>
    public GeneratedText Rewrite(TextTask task, string text, GenerationRequest? request = null, string? language = null, string? prompt = null,
        Action<string>? onText = null, CancellationToken ct = default)
    {
        string name = task.ToString().ToLowerInvariant();
        TaskInput.RequireText(text, name);
        if (task == TextTask.Translate && string.IsNullOrWhiteSpace(language))
        {
            throw new ArgumentException("translate: the target language is missing (--to LANGUAGE)");
        }
        request ??= new GenerationRequest { Sampling = SamplingOptions.Greedy, MaxTokens = 256 };
        request = task == TextTask.Complete
            ? request with { Prompt = text, PromptTokens = null }
            : request with
            {
                Prompt = null,
                PromptTokens = _model.ChatPrompt(TaskPrompts.Fill(prompt ?? DefaultPrompt(task), new Dictionary<string, string>
                {
                    ["text"] = text,
                    ["language"] = language ?? "",
                })),
            };
        GenerationResult result = onText is null
            ? _model.Generator.Generate(request, ct)
            : _model.Generator.Generate(request, chunk => { if (chunk.Text.Length > 0) onText(chunk.Text); }, ct);
        string output = task == TextTask.Complete ? text + result.Text : result.Text.Trim();
        return new GeneratedText(GeneratedText.KeyFor(task), output);
    }

    /// <summary>The default prompt of a rewriting task.</summary>
    public static string DefaultPrompt(TextTask task) => task switch
    {
        TextTask.Summarize => TaskPrompts.Summarize,
        TextTask.Paraphrase => TaskPrompts.Paraphrase,
        TextTask.Simplify => TaskPrompts.Simplify,
        TextTask.Translate => TaskPrompts.Translate,
        TextTask.Generate => TaskPrompts.Generate,
        _ => "{text}",
    };

    private static IEnumerable<(int Start, int End)> Lines(byte[] bytes)
    {
        int start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != (byte)'\n') continue;
            if (i > start) yield return (start, i);
            start = i + 1;
        }
    }
}
