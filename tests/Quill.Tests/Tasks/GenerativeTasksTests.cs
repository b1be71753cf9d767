// Every generative task on random-weight models across seeds: the shapes always hold (labels from the set, exact spans, valid JSON).
using System.Text;
using System.Text.Json;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Models.Synthetic;
using Quill.Tasks;
using Quill.Tasks.Automata;
using Quill.Tasks.Generative;
using Quill.Tasks.Text;
using Quill.Tests.Generation.Constraints;
using Quill.Tests.Models;

namespace Quill.Tests.Tasks;

public sealed class GenerativeTasksTests
{
    private const int Seeds = 8;

    private static readonly string[] Texts =
    [
        "Ada Lovelace met Charles Babbage in London in 1833.",
        "Zoë flew from São Paulo to Kraków 😀 with Jürgen; they stayed three days.",
        "The ship sailed at dawn.\nCaptain Ahab watched from the deck.",
    ];

    private static LanguageModel Load(ulong seed, string architecture = "llama") =>
        LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions
        {
            Architecture = architecture, VocabSize = 600, ContextLength = 512, Seed = seed,
        }), new LoadOptions { Threads = 1 });

    private static string ByCodePoints(string text, int start, int end)
    {
        int[] codePoints = [.. text.EnumerateRunes().Select(r => r.Value)];
        return string.Concat(codePoints[start..end].Select(char.ConvertFromUtf32));
    }

    [Fact]
    public void ClassifyScoresEveryLabelOnceSortedSummingToOne()
    {
        string[] labels = ["sports", "cooking", "finance", "a longer label with spaces"];
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed, seed % 2 == 0 ? "gpt2" : "llama");
            IReadOnlyList<LabelScore> scores = new GenerativeTasks(TaskModel.FromModel(model)).Classify(Texts[(int)seed % Texts.Length], labels);
            Assert.Equal(labels.Order(), scores.Select(s => s.Label).Order());
            Assert.Equal(1.0, scores.Sum(s => s.Score), 9);
            Assert.True(scores.Zip(scores.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        }
    }

    [Fact]
    public void ClassifyMatchesTheModelsOwnSequenceProbabilities()
    {
        using LanguageModel model = Load(3);
        var taskModel = TaskModel.FromModel(model);
        int[] prompt = taskModel.ChatPrompt("Label this: good or bad?");
        string[] labels = ["good", "bad"];
        double[] scored = taskModel.ScoreReplies(prompt, labels);
        // The same sums by feeding each reply token by token in a fresh state.
        for (int i = 0; i < labels.Length; i++)
        {
            int[] reply = model.Tokenizer.Encode(labels[i], addSpecial: false);
            int eot = Enumerable.Range(0, model.Tokenizer.VocabSize).Where(model.Tokenizer.IsEndOfGeneration).ToArray() is [var only] ? only : -1;
            int[] sequence = eot >= 0 ? [.. reply, eot] : reply;
            using var state = model.Model.CreateState(512);
            var logits = new float[model.Model.VocabSize];
            state.Append(prompt, logits);
            double total = 0;
            foreach (int token in sequence)
            {
                float max = logits.Max();
                double log = max + Math.Log(logits.Sum(x => Math.Exp(x - max)));
                total += logits[token] - log;
                state.Append([token], logits);
            }
            Assert.Equal(total, scored[i], 3);
        }
    }

    [Fact]
    public void NerWordsAreExactSpansAtTheirCodePointOffsets()
    {
        string[] types = ["person", "place", "date"];
        int entities = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed);
            var tasks = new GenerativeTasks(TaskModel.FromModel(model));
            foreach (string text in Texts)
            {
                foreach (EntitySpan entity in tasks.Ner(text, types))
                {
                    entities++;
                    Assert.Contains(entity.Entity, types);
                    Assert.Equal(entity.Word, ByCodePoints(text, entity.Start, entity.End));
                    Assert.DoesNotContain('\n', entity.Word);
                    Assert.InRange(entity.Score, 0, 1);
                }
            }
        }
        Assert.True(entities > 0, "random models listed no entity at all, so nothing was checked");
    }

    [Fact]
    public void PosTagsEveryWordOnceWithAUniversalTag()
    {
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed);
            var tasks = new GenerativeTasks(TaskModel.FromModel(model));
            string text = Texts[(int)seed % Texts.Length];
            IReadOnlyList<EntitySpan> tags = tasks.Pos(text);
            var offsets = new TextOffsets(text);
            Assert.Equal(offsets.Tokens().Count, tags.Count);
            foreach (EntitySpan tag in tags)
            {
                Assert.Contains(tag.Entity, GenerativeTasks.UniversalTags);
                Assert.Equal(tag.Word, ByCodePoints(text, tag.Start, tag.End));
            }
            Assert.True(tags.Zip(tags.Skip(1)).All(p => p.First.End <= p.Second.Start));
        }
    }

    [Fact]
    public void QaAnswersAreExactSpansOfTheContext()
    {
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed, seed % 2 == 0 ? "gpt2" : "llama");
            string context = Texts[(int)seed % Texts.Length];
            ExtractedAnswer answer = new GenerativeTasks(TaskModel.FromModel(model)).Qa(context, "Who is it about?");
            Assert.NotEmpty(answer.Answer);
            Assert.Equal(answer.Answer, ByCodePoints(context, answer.Start, answer.End));
            Assert.InRange(answer.Score, 0, 1);
        }
    }

    [Fact]
    public void ExtractIsValidAgainstTheSchema()
    {
        using JsonDocument schema = JsonDocument.Parse("""
            {"type":"object","properties":{"name":{"type":"string"},"year":{"type":"integer"},"city":{"enum":["London","Paris"]}},
             "required":["name","year","city"],"additionalProperties":false}
            """);
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed);
            JsonElement value = new GenerativeTasks(TaskModel.FromModel(model)).Extract(Texts[0], schema.RootElement, maxTokens: 96);
            Assert.True(JsonSchemaValidator.IsValid(schema.RootElement, value), $"seed {seed}: {value.GetRawText()}");
        }
    }

    [Fact]
    public void KeywordsAreAtMostKExactSpans()
    {
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            using LanguageModel model = Load(seed);
            string text = Texts[(int)seed % Texts.Length];
            IReadOnlyList<Keyword> keywords = new GenerativeTasks(TaskModel.FromModel(model)).Keywords(text, k: 3);
            Assert.InRange(keywords.Count, 1, 3);
            foreach (Keyword keyword in keywords) Assert.Equal(keyword.Text, ByCodePoints(text, keyword.Start, keyword.End));
        }
    }

    [Fact]
    public void RewritingTasksStreamWhatTheyReturn()
    {
        using LanguageModel model = Load(2);
        var tasks = new GenerativeTasks(TaskModel.FromModel(model));
        var request = new GenerationRequest { MaxTokens = 24, Sampling = new SamplingOptions { Temperature = 0.9f, Seed = 4 } };
        foreach (TextTask task in Enum.GetValues<TextTask>())
        {
            var streamed = new StringBuilder();
            GeneratedText result = tasks.Rewrite(task, Texts[0], request, language: "French", onText: t => streamed.Append(t));
            Assert.Equal(GeneratedText.KeyFor(task), result.Key);
            if (task == TextTask.Complete) Assert.Equal(Texts[0] + streamed, result.Text);
            else Assert.Equal(streamed.ToString().Trim(), result.Text);
            Assert.Equal(result, tasks.Rewrite(task, Texts[0], request, language: "French"));
        }
        Assert.Throws<ArgumentException>(() => tasks.Rewrite(TextTask.Translate, Texts[0]));
    }

    [Fact]
    public void BadInputsNameTheTaskAndTheInput()
    {
        using LanguageModel model = Load(1);
        var tasks = new GenerativeTasks(TaskModel.FromModel(model));
        Assert.Contains("classify: no labels", Assert.Throws<ArgumentException>(() => tasks.Classify("x", [])).Message);
        Assert.Contains("'a' is given twice", Assert.Throws<ArgumentException>(() => tasks.Classify("x", ["a", "a"])).Message);
        Assert.Contains("ner: the text is empty", Assert.Throws<ArgumentException>(() => tasks.Ner(" ", ["person"])).Message);
        Assert.Contains("line breaks", Assert.Throws<ArgumentException>(() => tasks.Ner("x", ["a\nb"])).Message);
        Assert.Contains("qa: the question is empty", Assert.Throws<ArgumentException>(() => tasks.Qa("context", "")).Message);
        Assert.Contains("k must be 1 or more", Assert.Throws<ArgumentException>(() => tasks.Keywords("some text", 0)).Message);
        Assert.Contains("unknown placeholder {nope}",
            Assert.Throws<ArgumentException>(() => tasks.Classify("x", ["a", "b"], prompt: "{text} {nope}")).Message);
        Assert.Throws<PromptTooLongException>(() => tasks.Classify(string.Concat(Enumerable.Repeat("word ", 2000)), ["a", "b"]));
    }

    [Fact]
    public void ConstrainedRandomTokenWalksStayWithinTheBudgetAndAreAccepted()
    {
        using LanguageModel model = Load(1);
        var random = new Random(11);
        var logits = new float[model.Tokenizer.VocabSize];
        foreach (int budget in new[] { 8, 16, 40, int.MaxValue })
        {
            for (int walk = 0; walk < 30; walk++)
            {
                var automaton = new SpanLinesAutomaton(new TextOffsets(Texts[walk % Texts.Length]), ["person", "place"], maxLines: 5, allowEmpty: true);
                var constraint = new ByteAutomatonConstraint(model.Tokenizer, automaton);
                var bytes = new List<byte>();
                int used = 0;
                for (int step = 0; step < Math.Min(budget, 60); step++)
                {
                    constraint.RemainingTokens = budget == int.MaxValue ? int.MaxValue : budget - step;
                    Array.Fill(logits, 0f);
                    constraint.Mask(logits);
                    int[] allowed = [.. Enumerable.Range(0, logits.Length).Where(i => logits[i] == 0f)];
                    Assert.NotEmpty(allowed);
                    int token = allowed[random.Next(allowed.Length)];
                    Assert.True(constraint.Allows(token));
                    used++;
                    if (model.Tokenizer.IsEndOfGeneration(token)) break;
                    constraint.Accept(token);
                    bytes.AddRange(model.Tokenizer.TokenBytes(token));
                }
                if (budget != int.MaxValue)
                {
                    Assert.True(constraint.IsComplete, $"budget {budget}: '{Encoding.UTF8.GetString([.. bytes])}' is not complete");
                    Assert.True(used <= budget);
                }
            }
        }
    }
}
