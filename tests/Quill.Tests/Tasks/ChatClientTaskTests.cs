// The IChatClient task extensions: exact (the same results as GenerativeTasks) on QuillChatClient, checked JSON on any other client.
using System.Text.Json;
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Models.Synthetic;
using Quill.Tasks;
using Quill.Tasks.Generative;
using Quill.Tests.Generation.Constraints;
using Quill.Tests.Models;

namespace Quill.Tests.Tasks;

public sealed class ChatClientTaskTests
{
    private const string Text = "Zoë flew from São Paulo to Kraków with Jürgen Weber; they stayed three days.";

    private static LanguageModel Load(ulong seed) =>
        LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions { VocabSize = 600, ContextLength = 512, Seed = seed }),
            new LoadOptions { Threads = 1 });

    /// <summary>A real client that is not Quill's as far as the extensions can tell: it hides the model, so they take the JSON path.</summary>
    private sealed class OpaqueClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(IChatClient) ? this : null;
    }

    [Fact]
    public async Task OnQuillsClientTheTasksAreTheConstrainedOnes()
    {
        using LanguageModel model = Load(3);
        using var client = QuillChatClient.FromModel(model);
        var tasks = new GenerativeTasks(TaskModel.FromModel(model));
        string[] labels = ["travel", "cooking"];
        Assert.Equal(tasks.Classify(Text, labels), await client.ClassifyAsync(Text, labels));
        Assert.Equal(tasks.Ner(Text, ["person", "place"]), await client.NerAsync(Text, ["person", "place"]));
        Assert.Equal(tasks.Pos(Text), await client.PosAsync(Text));
        Assert.Equal(tasks.Qa(Text, "Where did Zoë fly?"), await client.AnswerAsync(Text, "Where did Zoë fly?"));
        Assert.Equal(tasks.Keywords(Text, 3), await client.KeywordsAsync(Text, 3));
    }

    [Fact]
    public async Task OnAnyOtherClientRepliesAreCheckedAgainstTheInput()
    {
        string[] labels = ["travel", "cooking", "finance"];
        string[] types = ["person", "place"];
        for (ulong seed = 1; seed <= 6; seed++)
        {
            using LanguageModel model = Load(seed);
            using var client = new OpaqueClient(QuillChatClient.FromModel(model));
            IReadOnlyList<LabelScore> scores = await client.ClassifyAsync(Text, labels);
            Assert.Equal(labels.Order(), scores.Select(s => s.Label).Order());
            Assert.Equal(1.0, scores.Sum(s => s.Score), 9);
            int[] codePoints = [.. Text.EnumerateRunes().Select(r => r.Value)];
            string Slice(int start, int end) => string.Concat(codePoints[start..end].Select(char.ConvertFromUtf32));
            foreach (EntitySpan entity in await client.NerAsync(Text, types))
            {
                Assert.Contains(entity.Entity, types);
                Assert.Equal(entity.Word, Slice(entity.Start, entity.End));
            }
            IReadOnlyList<EntitySpan> tags = await client.PosAsync(Text);
            Assert.All(tags, t => Assert.Contains(t.Entity, GenerativeTasks.UniversalTags));
            Assert.All(tags, t => Assert.Equal(t.Word, Slice(t.Start, t.End)));
            foreach (Keyword keyword in await client.KeywordsAsync(Text, 4)) Assert.Equal(keyword.Text, Slice(keyword.Start, keyword.End));
            using JsonDocument schema = JsonDocument.Parse(
                """{"type":"object","properties":{"who":{"type":"string"},"days":{"type":"integer"}},"required":["who","days"]}""");
            JsonElement extracted = await client.ExtractAsync(Text, schema.RootElement);
            Assert.True(JsonSchemaValidator.IsValid(schema.RootElement, extracted), extracted.GetRawText());
        }
    }

    [Fact]
    public async Task RewritingIsOneChatTurn()
    {
        using LanguageModel model = Load(2);
        using var client = QuillChatClient.FromModel(model);
        var options = new ChatOptions { MaxOutputTokens = 12, Temperature = 0 };
        GeneratedText summary = await client.RewriteAsync(TextTask.Summarize, Text, options: options);
        Assert.Equal("summary_text", summary.Key);
        var direct = new GenerativeTasks(TaskModel.FromModel(model)).Rewrite(TextTask.Summarize, Text,
            new Quill.Generation.GenerationRequest { MaxTokens = 12, Sampling = Quill.Generation.SamplingOptions.Greedy });
        Assert.Equal(direct.Text, summary.Text);
        await Assert.ThrowsAsync<NotSupportedException>(() => client.RewriteAsync(TextTask.Complete, Text));
        await Assert.ThrowsAsync<ArgumentException>(() => client.RewriteAsync(TextTask.Translate, Text));
    }
}
