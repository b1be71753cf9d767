// Labelled task examples as fine-tuning conversations: the task's default prompt as the user turn, the gold reply as the assistant's.
using System.Text.Json.Nodes;
using Quill.Tasks.Generative;
using Quill.Tasks.Prompting;

namespace Quill.Tasks.Evaluation;

/// <summary>
/// Writes <c>{"messages":[{"role":"user",…},{"role":"assistant",…}]}</c> lines for <c>quill finetune</c>: the user turn
/// is exactly the prompt the task renders at inference (<see cref="TaskPrompts"/>), the assistant turn the reply in the
/// format decoding is constrained to, so a fine-tuned model learns what the constraint will ask of it.
/// </summary>
public static class TaskTrainingData
{
    /// <summary>The user message a task sends for <paramref name="example"/>.</summary>
    public static string Prompt(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return example.Task switch
        {
            "classify" => TaskPrompts.Fill(TaskPrompts.Classify, new Dictionary<string, string>
            {
                ["text"] = example.Text,
                ["labels"] = string.Join(", ", example.Choices),
            }),
            "ner" => TaskPrompts.Fill(TaskPrompts.Ner, new Dictionary<string, string>
            {
                ["text"] = example.Text,
                ["types"] = string.Join(", ", example.Choices),
            }),
            _ => TaskPrompts.Fill(TaskPrompts.Qa, new Dictionary<string, string>
            {
                ["context"] = example.Text,
                ["question"] = example.Question!,
                ["text"] = example.Text,
            }),
        };
    }

    /// <summary>Writes one conversation per example to <paramref name="path"/> (atomically).</summary>
    public static void Write(IEnumerable<TaskExample> examples, string path)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var lines = examples.Select(e => new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = Prompt(e) },
                new JsonObject { ["role"] = "assistant", ["content"] = e.Reply }),
        }.ToJsonString());
        Quill.Formats.AtomicFileWriter.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            foreach (string line in lines) writer.WriteLine(line);
        });
    }

    /// <summary>Runs the task an example names on <paramref name="tasks"/>, returning the reply in the gold format.</summary>
    internal static string Predict(GenerativeTasks tasks, TaskExample example, CancellationToken ct) => example.Task switch
    {
        "classify" => tasks.Classify(example.Text, example.Choices, ct: ct)[0].Label,
        "ner" => string.Join("\n", tasks.Ner(example.Text, example.Choices, ct: ct).Select(e => $"{e.Entity}: {e.Word}")),
        _ => tasks.Qa(example.Text, example.Question!, ct: ct).Answer,
    };
}
