// ChatSession: the template renders the history, BOS is not doubled, replies join the history, /reset semantics; and `quill chat`.
using System.Text;
using Quill.Chat;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Tests.Cli;
using Quill.Tests.Models;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tests.Chat;

public sealed class ChatSessionTests
{
    private const string Template =
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";

    private static string ModelPath => SyntheticModels.Get(new SyntheticModelOptions
    {
        Dim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 300, ChatTemplate = Template,
    });

    private static readonly GenerationRequest Greedy = new() { MaxTokens = 6, Sampling = SamplingOptions.Greedy };

    private static async Task<string> ReplyText(ChatSession session, string message)
    {
        var text = new StringBuilder();
        await foreach (GenerationChunk chunk in session.ReplyAsync(message, Greedy)) text.Append(chunk.Text);
        return text.ToString();
    }

    [Fact]
    public async Task TheModelsTemplateRendersTheHistoryAndRepliesJoinIt()
    {
        using LanguageModel lm = LanguageModel.Load(ModelPath);
        using ChatSession session = ChatSession.ForModel(lm, systemPrompt: "be brief");
        Assert.Equal("<s>[system] be brief\n[assistant]", session.RenderPrompt());

        string reply = await ReplyText(session, "hello");
        Assert.Equal(["system", "user", "assistant"], session.Messages.Select(m => m.Role));
        Assert.Equal(reply, session.Messages[^1].Content);
        Assert.Equal($"<s>[system] be brief\n[user] hello\n[assistant] {reply}\n[assistant]", session.RenderPrompt());

        session.Reset();
        Assert.Equal([new ChatMessage("system", "be brief")], session.Messages);
    }

    [Fact]
    public async Task PromptStartingWithBosIsNotGivenASecondOne()
    {
        using LanguageModel lm = LanguageModel.Load(ModelPath);
        using ChatSession session = ChatSession.ForModel(lm);
        session.Add(new ChatMessage("user", "hi"));
        int[] ids = session.PromptTokens();
        Assert.Equal(lm.Tokenizer.BosId, ids[0]);
        Assert.NotEqual(lm.Tokenizer.BosId, ids[1]);

        // The reply is what the generator gives for exactly those tokens.
        using var fresh = ChatSession.ForModel(lm);
        string reply = await ReplyText(fresh, "hi");
        var expected = new Generator(lm.Model, lm.Tokenizer).Generate(Greedy with { PromptTokens = ids });
        Assert.Equal(expected.Text, reply);
    }

    [Fact]
    public void WithoutATemplateChatMlIsUsed()
    {
        using LanguageModel lm = LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions
        {
            Dim = 32, Layers = 1, Heads = 2, KvHeads = 1,
            VocabSize = 300
        }));
        using ChatSession session = ChatSession.ForModel(lm);
        session.Add(new ChatMessage("user", "hi"));
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", session.RenderPrompt());
    }

    [Fact]
    public async Task ChatCommandAnswersAConversationFromStdin()
    {
        using LanguageModel lm = LanguageModel.Load(ModelPath);
        using ChatSession session = ChatSession.ForModel(lm, "be brief");
        session.Add(new ChatMessage("user", "first"));
        session.Add(new ChatMessage("assistant", "ok"));
        string expected = await ReplyText(session, "second");

        const string json = """[{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"second"}]""";
        var r = QuillCli.RunWithInput(json, "chat", "-m", ModelPath, "--system", "be brief", "--temperature", "0", "-n", "6", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(expected + "\n", r.Stdout);
    }

    [Fact]
    public async Task ChatCommandTakesOneTurnPerLineAndHonoursReset()
    {
        using LanguageModel lm = LanguageModel.Load(ModelPath);
        using ChatSession session = ChatSession.ForModel(lm);
        string first = await ReplyText(session, "alpha");
        session.Reset();
        string second = await ReplyText(session, "beta");

        var r = QuillCli.RunWithInput("alpha\n/reset\nbeta\n/exit\ngamma\n", "chat", "-m", ModelPath, "--temperature", "0", "-n", "6", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(first + "\n" + second + "\n", r.Stdout);
    }

    [Fact]
    public void ChatCommandRejectsAConversationNotEndingWithTheUser()
    {
        var r = QuillCli.RunWithInput("""[{"role":"assistant","content":"x"}]""", "chat", "-m", ModelPath, "-n", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("stdin: expected the conversation to end with a user message", r.Stderr);
    }

    [Fact]
    public async Task LaterTurnsReuseTheKvCacheAndReplyAsAColdRunWould()
    {
        using LanguageModel lm = LanguageModel.Load(ModelPath);
        using ChatSession session = ChatSession.ForModel(lm, "be brief");
        var generator = new Generator(lm.Model, lm.Tokenizer);
        GenerationRequest sampled = new()
        {
            MaxTokens = 8, Logprobs = 2, Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 0, TopP = 1, MinP = 0, Seed = 3 },
        };
        int previousPrompt = 0;
        foreach (string message in new[] { "hello there", "and then?", "tell me more" })
        {
            int[] prompt = session.Template.Encode([.. session.Messages, new ChatMessage("user", message)], lm.Tokenizer);
            GenerationResult cold = generator.Generate(sampled with { PromptTokens = prompt });

            var text = new StringBuilder();
            var logprobs = new List<TokenLogprob>();
            GenerationUsage? usage = null;
            int held = session.CachedTokens;
            await foreach (GenerationChunk chunk in session.ReplyAsync(message, sampled))
            {
                text.Append(chunk.Text);
                logprobs.AddRange(chunk.Logprobs ?? []);
                usage = chunk.Usage ?? usage;
            }
            Assert.Equal(cold.Text, text.ToString());
            Assert.Equal(cold.Logprobs!.Select(l => (l.Token, l.Logprob)), logprobs.Select(l => (l.Token, l.Logprob)));
            Assert.Equal(prompt.Length, usage!.PromptTokens);
            // The earlier turns' tokens are kept: the turn computes at most its new tokens (the last reply re-tokenized, the new message).
            Assert.InRange(usage.CachedTokens, previousPrompt == 0 ? 0 : previousPrompt, Math.Min(held, prompt.Length - 1));
            Assert.True(previousPrompt == 0 || usage.PromptTokens - usage.CachedTokens <= prompt.Length - previousPrompt);
            previousPrompt = prompt.Length;
        }
    }
}
