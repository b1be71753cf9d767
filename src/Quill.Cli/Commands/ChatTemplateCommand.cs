// `quill chat-template -m MODEL --messages FILE.json`: prints the prompt a model's chat template makes; the rendering is the library's.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Quill.Formats.Gguf;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Cli.Commands;

internal static class ChatTemplateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: false);
        model.Description = "A .gguf file, a tokenizer_config.json, or a folder holding one";
        var messages = new Option<string>("--messages") { Description = "JSON file: [{\"role\", \"content\"}, ...] or {\"messages\": [...]}", Required = true };
        var noPrompt = new Option<bool>("--no-generation-prompt") { Description = "Leave out the assistant header that asks the model to reply" };
        var builtIn = new Option<string?>("--builtin")
        {
            Description = $"Use a built-in template instead of the model's: {string.Join(", ", ChatTemplate.BuiltInNames)}",
        };
        var command = new Command("chat-template", "Print the prompt a chat template renders for a conversation\n"
            + "  example: quill chat-template -m model.gguf --messages chat.json") { model, messages, noPrompt, builtIn };
        command.SetAction(r => CliErrors.Run(() => Print(r.GetValue(model), r.GetValue(messages)!, !r.GetValue(noPrompt), r.GetValue(builtIn))));
        return command;
    }

    private static int Print(string? modelPath, string messagesPath, bool addGenerationPrompt, string? builtIn)
    {
        if (modelPath is null && builtIn is null) throw new ArgumentException("chat-template: give -m MODEL or --builtin NAME");
        IReadOnlyList<ChatMessage> messages = ReadMessages(messagesPath);
        ChatTemplate template = builtIn is not null ? ChatTemplate.BuiltIn(builtIn) : Load(modelPath!);
        Console.Out.Write(template.Render(messages, addGenerationPrompt));
        Console.Out.Flush();
        return 0;
    }

    private static ChatTemplate Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "tokenizer_config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        ChatTemplate? template;
        string? bos = null, eos = null;
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            using GgufFile file = GgufFile.Open(path);
            template = ChatTemplate.FromGguf(file);
            string[]? tokens = file.GetStringArray("tokenizer.ggml.tokens");
            bos = file.GetInt32("tokenizer.ggml.bos_token_id") is int b && tokens is not null && b >= 0 && b < tokens.Length ? tokens[b] : null;
            eos = file.GetInt32("tokenizer.ggml.eos_token_id") is int e && tokens is not null && e >= 0 && e < tokens.Length ? tokens[e] : null;
        }
        else
        {
            template = ChatTemplate.FromTokenizerConfig(path);
        }
        if (template is not null) return template;
        Console.Error.WriteLine($"quill: {path} has no chat template; using chatml");
        return ChatTemplate.Fallback(bos, eos);
    }

    private static List<ChatMessage> ReadMessages(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
        return ParseMessages(File.ReadAllText(path), path);
    }

    /// <summary>Messages from JSON text: an array of {role, content} or {"messages": [...]}; <paramref name="source"/> names it in errors.</summary>
    internal static List<ChatMessage> ParseMessages(string json, string source)
    {
        string path = source;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: expected JSON, {e.Message.ReplaceLineEndings(" ")}");
        }
        JsonArray list = root switch
        {
            JsonArray a => a,
            JsonObject o when o["messages"] is JsonArray a => a,
            _ => throw new InvalidDataException($"{path}: expected a JSON array of {{\"role\", \"content\"}} or {{\"messages\": [...]}}"),
        };
        var messages = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m || m["role"]?.GetValueKind() != JsonValueKind.String
                || m["content"]?.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Null or null))
            {
                throw new InvalidDataException($"{path}: message {i} must be {{\"role\": string, \"content\": string}}");
            }
            messages.Add(new ChatMessage(m["role"]!.GetValue<string>(), m["content"]?.GetValue<string>() ?? ""));
        }
        return messages;
    }
}
