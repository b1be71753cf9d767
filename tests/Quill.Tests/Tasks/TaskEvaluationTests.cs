// Labelled task files: parsing with file:line errors, the fine-tuning conversations they become, and scoring beside baselines.
using System.Text.Json;
using Quill.Models.Synthetic;
using Quill.Tasks.Evaluation;
using Quill.Tasks.Generative;
using Quill.Tasks.Prompting;
using Quill.Tests.Cli;
using Quill.Tests.Models;

namespace Quill.Tests.Tasks;

public sealed class TaskEvaluationTests : IDisposable
{
    private const string Good =
        "{\"task\":\"classify\",\"text\":\"The striker scored.\",\"labels\":[\"sports\",\"cooking\"],\"label\":\"sports\"}\n" +
        "{\"task\":\"ner\",\"text\":\"And Moses went unto Egypt.\",\"types\":[\"person\",\"place\"]," +
        "\"entities\":[{\"entity\":\"person\",\"word\":\"Moses\"},{\"entity\":\"place\",\"word\":\"Egypt\"}]}\n" +
        "{\"task\":\"qa\",\"context\":\"And Moses went unto Egypt.\",\"question\":\"Whither went Moses?\",\"answer\":\"Egypt\"}\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-task-eval-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ConversationsUseTheTasksOwnPromptAndTheConstrainedReplyFormat()
    {
        List<TaskExample> examples = TaskExample.ReadFile(Write("good.jsonl", Good));
        string output = Path.Combine(_folder, "train.jsonl");
        TaskTrainingData.Write(examples, output);
        string[] lines = File.ReadAllLines(output);
        Assert.Equal(3, lines.Length);
        JsonElement ner = JsonDocument.Parse(lines[1]).RootElement.GetProperty("messages");
        Assert.Equal(TaskPrompts.Fill(TaskPrompts.Ner, new Dictionary<string, string> { ["text"] = "And Moses went unto Egypt.", ["types"] = "person, place" }),
            ner[0].GetProperty("content").GetString());
        Assert.Equal("person: Moses\nplace: Egypt", ner[1].GetProperty("content").GetString());
        Assert.Equal("Egypt", JsonDocument.Parse(lines[2]).RootElement.GetProperty("messages")[1].GetProperty("content").GetString());
    }

    [Fact]
    public void EvaluationScoresTheModelAndTheBaselines()
    {
        List<TaskExample> examples = TaskExample.ReadFile(Write("good.jsonl", Good));
        using LanguageModel model = LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions { VocabSize = 600, Seed = 3 }),
            new LoadOptions { Threads = 1 });
        List<TaskScore> scores = TaskEvaluator.Evaluate(examples, new GenerativeTasks(TaskModel.FromModel(model)), embedder: null);
        Assert.Equal(["classify/model", "classify/majority label", "ner/model", "ner/capitalized words", "qa/model", "qa/first new name"],
            scores.Select(s => $"{s.Task}/{s.System}"));
        Assert.Equal(1.0, scores.Single(s => s.System == "majority label").ExactMatch);
        TaskScore capitalized = scores.Single(s => s.System == "capitalized words");
        Assert.Equal(0.5, capitalized.F1!.Value, 9); // "Moses" and "Egypt", both typed person: one right of two each way
    }

    [Theory]
    [InlineData("{\"task\":\"sing\",\"text\":\"x\"}", ":1: \"task\" must be one of classify, ner, qa, found 'sing'")]
    [InlineData("not json", ":1: ")]
    [InlineData("{\"task\":\"classify\",\"text\":\"x\",\"labels\":[\"a\"],\"label\":\"b\"}", "\"label\" 'b' is not one of \"labels\"")]
    [InlineData("{\"task\":\"ner\",\"text\":\"x\",\"types\":[\"p\"],\"entities\":[{\"entity\":\"p\",\"word\":\"y\"}]}", "entity 'y' is not in the text")]
    [InlineData("{\"task\":\"qa\",\"context\":\"x\",\"question\":\"q\",\"answer\":\"z\"}", "answer 'z' is not in the context")]
    [InlineData("{\"task\":\"classify\",\"text\":\"x\",\"labels\":[],\"label\":\"b\"}", "\"labels\" is empty")]
    [InlineData("\n\n", "no examples")]
    public void MalformedLabelledFilesNameTheFileAndLine(string content, string expected)
    {
        string path = Write("bad.jsonl", content);
        var error = Assert.Throws<InvalidDataException>(() => TaskExample.ReadFile(path));
        Assert.StartsWith(path, error.Message);
        Assert.Contains(expected, error.Message);
        CliResult r = QuillCli.Run("task", "train-data", path, "-o", Path.Combine(_folder, "out.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.False(File.Exists(Path.Combine(_folder, "out.jsonl")));
    }
}
