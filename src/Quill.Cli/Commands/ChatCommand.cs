// `quill chat`: an interactive conversation in the terminal, or one read from stdin; the conversation logic is Quill.Chat's.
using System.CommandLine;
using Quill.Chat;
using Quill.Generation;
using Quill.Models;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Cli.Commands;

internal static class ChatCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: false);
        model.Description = "A GGUF model (default: the demo model)";
        var system = new Option<string?>("--system") { Description = "A system prompt (\\n and \\t are escapes)" };
        var builtIn = new Option<string?>("--template")
        {
            Description = $"Use a built-in chat template instead of the model's: {string.Join(", ", ChatTemplate.BuiltInNames)}",
        };
        var threads = CommonOptions.Threads();
        var mmap = CommonOptions.Mmap();
        var hugePages = CommonOptions.HugePages();
        var kvType = CommonOptions.KvType();
        var sampling = new SamplingFlags();
        var command = new Command("chat", "Chat with a model in the terminal: /reset forgets the conversation, /exit quits.\n" +
            "  With stdin not a terminal, reads the conversation from it: one user turn per line, or a JSON messages array\n" +
            "  (the reply to its last user message is printed).\n" +
            "  example: quill chat -m model.gguf --system \"You are terse.\" --temperature 0.7")
        {
            model, system, builtIn, threads, mmap, hugePages, kvType,
        };
        sampling.AddTo(command);
        command.SetAction((r, ct) => CliErrors.RunAsync(async () =>
        {
            string path = r.GetValue(model) ?? DemoCommand.DefaultModel();
            KvCacheType kv = CommonOptions.KvType(r, kvType);
            using var lm = GenerateCommand.Load(path, r.GetValue(threads), CommonOptions.Loading(r, mmap, hugePages), kvCacheType: kv);
            string? systemPrompt = r.GetValue(system) is { } s ? EscapedText.Unescape(s) : null;
            using ChatSession session = r.GetValue(builtIn) is { } name
                ? new ChatSession(lm.Model, lm.Tokenizer, ChatTemplate.BuiltIn(name), systemPrompt)
                : ChatSession.ForModel(lm, systemPrompt);
            GenerationRequest settings = sampling.Request(r);
            if (Console.IsInputRedirected) return await RunPipedAsync(session, settings, ct);
            Console.Error.WriteLine($"chat with {lm.Name} (template: {session.Template.Name ?? "from the model"}); /reset forgets, /exit quits");
            while (!ct.IsCancellationRequested)
            {
                Console.Error.Write("> ");
                string? line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") break;
                if (!Command(session, line)) await ReplyAsync(session, EscapedText.Unescape(line), settings, ct);
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Handles /reset; true when the line was a command.</summary>
    private static bool Command(ChatSession session, string line)
    {
        if (line.Trim() != "/reset") return false;
        session.Reset();
        Console.Error.WriteLine("(conversation forgotten)");
        return true;
    }

    private static async Task<int> RunPipedAsync(ChatSession session, GenerationRequest settings, CancellationToken ct)
    {
        string input = Console.In.ReadToEnd();
        string trimmed = input.TrimStart();
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
        {
            List<ChatMessage> messages = ChatTemplateCommand.ParseMessages(input, "stdin");
            if (messages.Count == 0 || messages[^1].Role != "user")
                throw new InvalidDataException("stdin: expected the conversation to end with a user message");
            session.Reset();
            foreach (ChatMessage message in messages[..^1]) session.Add(message);
            await ReplyAsync(session, messages[^1].Content, settings, ct);
            return 0;
        }
        foreach (string line in input.Split('\n'))
        {
            string text = line.TrimEnd('\r');
            if (text.Trim() == "/exit") break;
            if (text.Trim().Length == 0 || Command(session, text)) continue;
            await ReplyAsync(session, text, settings, ct);
        }
        return 0;
    }

    /// <summary>Prints the model's reply as it streams (generation runs on a thread of its own), then a newline.</summary>
    private static async Task ReplyAsync(ChatSession session, string message, GenerationRequest settings, CancellationToken ct)
    {
        TextWriter stdout = Console.Out;
        await foreach (GenerationChunk chunk in session.ReplyAsync(message, settings, ct))
        {
            stdout.Write(chunk.Text);
            stdout.Flush();
        }
        stdout.WriteLine();
        stdout.Flush();
    }
}
