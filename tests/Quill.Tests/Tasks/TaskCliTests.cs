// `quill task` end to end: JSON shapes, stdin, and a one-line error with exit code 1 for each bad input.
using System.Text.Json;
using Quill.Models.Synthetic;
using Quill.Tests.Cli;
using Quill.Tests.Models;

namespace Quill.Tests.Tasks;

public sealed class TaskCliTests
{
    private const string Text = "Ada Lovelace met Charles Babbage in London in 1833.";

    private static string Model() => SyntheticModels.Get(new SyntheticModelOptions { VocabSize = 600, ContextLength = 512, Seed = 5 });

    private static void AssertOneLineError(CliResult r, string expected)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.True(r.Stderr.Trim().Split('\n').Length == 1, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void ClassifyWithoutAModelUsesTheEmbedder()
    {
        var r = QuillCli.Run("task", "classify", "--labels", "sports,cooking,finance", "--json", "The striker scored twice in the final.");
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonElement[] scores = [.. JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray()];
        Assert.Equal("sports", scores[0].GetProperty("label").GetString());
        Assert.Equal(1.0, scores.Sum(s => s.GetProperty("score").GetDouble()), 6);
    }

    [Fact]
    public void NerPrintsExactSpansAndReadsStdin()
    {
        var r = QuillCli.RunWithInput(Text, "task", "ner", "-m", Model(), "--types", "person,place", "--json", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (JsonElement entity in JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray())
        {
            int start = entity.GetProperty("start").GetInt32(), end = entity.GetProperty("end").GetInt32();
            Assert.Equal(Text[start..end], entity.GetProperty("word").GetString());
        }
        var qa = QuillCli.Run("task", "qa", "-m", Model(), "--context", Text, "Who met Babbage?", "--json");
        Assert.True(qa.ExitCode == 0, qa.Stderr);
        JsonElement answer = JsonDocument.Parse(qa.Stdout).RootElement;
        Assert.Equal(Text[answer.GetProperty("start").GetInt32()..answer.GetProperty("end").GetInt32()], answer.GetProperty("answer").GetString());
    }

    [Fact]
    public void RewritingTasksPrintHuggingFaceKeys()
    {
        var r = QuillCli.Run("task", "summarize", "-m", Model(), "-n", "8", "--temperature", "0", "--json", Text);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(JsonDocument.Parse(r.Stdout).RootElement.TryGetProperty("summary_text", out _));
        var t = QuillCli.Run("task", "translate", "-m", Model(), "--to", "French", "-n", "8", "--json", Text);
        Assert.True(t.ExitCode == 0, t.Stderr);
        Assert.True(JsonDocument.Parse(t.Stdout).RootElement.TryGetProperty("translation_text", out _));
    }

    [Fact]
    public void PromptsPrintsTheDefaults()
    {
        var r = QuillCli.Run("task", "prompts", "ner");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(Quill.Tasks.Prompting.TaskPrompts.Ner, r.Stdout.TrimEnd('\n'));
        Assert.Contains("== summarize", QuillCli.Run("task", "prompts").Stdout);
        AssertOneLineError(QuillCli.Run("task", "prompts", "sing"), "task prompts: unknown task 'sing'");
    }

    [Fact]
    public void BadInputsGiveOneLineAndExitCodeOne()
    {
        string folder = Directory.CreateTempSubdirectory("quill-task-cli-").FullName;
        try
        {
            string unknownPlaceholder = Path.Combine(folder, "prompt.txt");
            File.WriteAllText(unknownPlaceholder, "Classify {text} as {colour}");
            string badSchema = Path.Combine(folder, "bad.json");
            File.WriteAllText(badSchema, "{\"type\": \"object\",");
            string patternSchema = Path.Combine(folder, "pattern.json");
            File.WriteAllText(patternSchema, "{\"type\": \"string\", \"pattern\": \"^a+$\"}");
            AssertOneLineError(QuillCli.Run("task", "ner", "--types", "person", Text), "task ner: needs a generative model, -m MODEL.gguf");
            AssertOneLineError(QuillCli.Run("task", "classify", "--labels", "a,a", Text), "'a' is given twice");
            AssertOneLineError(QuillCli.Run("task", "classify", "--labels", ",", Text), "classify: no labels");
            AssertOneLineError(QuillCli.Run("task", "keywords", "-k", "0", Text), "k must be 1 or more");
            AssertOneLineError(QuillCli.Run("task", "classify", "-m", Model(), "--labels", "a,b", "--prompt-file", unknownPlaceholder, Text),
                "unknown placeholder {colour}");
            AssertOneLineError(QuillCli.Run("task", "classify", "--labels", "a,b", "--prompt-file", unknownPlaceholder, Text), "--prompt-file needs");
            AssertOneLineError(QuillCli.Run("task", "qa", "-m", Model(), "Who?"), "give the context with --context or --context-file");
            AssertOneLineError(QuillCli.Run("task", "qa", "-m", Model(), "--context-file", Path.Combine(folder, "none.txt"), "Who?"), "none.txt: no such file");
            AssertOneLineError(QuillCli.Run("task", "extract", "-m", Model(), "--schema", Path.Combine(folder, "none.json"), Text), "none.json: no such file");
            AssertOneLineError(QuillCli.Run("task", "extract", "-m", Model(), "--schema", badSchema, Text), "bad.json: not JSON");
            AssertOneLineError(QuillCli.Run("task", "extract", "-m", Model(), "--schema", patternSchema, Text),
                "extract: the schema cannot constrain decoding: 'pattern'");
            AssertOneLineError(QuillCli.Run("task", "pos", "-m", BadModelFiles.Make("notgguf"), Text), "notgguf.gguf");
            AssertOneLineError(QuillCli.Run("task", "summarize", "-m", BadModelFiles.Make("missing"), Text), "missing.gguf");
            AssertOneLineError(QuillCli.Run("task", "ner", "-m", Model(), "--types", "person", " "), "ner: the text is empty");
            Assert.NotEqual(0, QuillCli.Run("task", "translate", "-m", Model(), Text).ExitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
