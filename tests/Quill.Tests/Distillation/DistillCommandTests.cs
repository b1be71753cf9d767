// `quill distill`'s command in process (Program.cs wires it as any other): a run's outputs and resume, and the flag mistakes as one-line errors.
using System.CommandLine;
using System.Text.Json;
using Quill.Cli.Commands;
using Quill.Formats.Gguf;
using Quill.Generation;
using Quill.Models.Synthetic;

namespace Quill.Tests.Distillation;

[Collection(nameof(ConsoleCapture))]
public sealed class DistillCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-distill-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Teacher(int vocab = 320, string name = "teacher.gguf")
    {
        string path = Path.Combine(_folder, name);
        SyntheticModelWriter.Write(path, new SyntheticModelOptions
        {
            Dim = 32, Layers = 4, Heads = 4, KvHeads = 2, FeedForwardDim = 64, VocabSize = vocab, ContextLength = 64, Seed = 3,
        });
        return path;
    }

    private string Corpus()
    {
        string[] words = ["the", "king", "said", "unto", "them", "and", "it", "came", "to", "pass", "that", "lord", "people", "land"];
        var rng = new Random(1);
        var lines = Enumerable.Range(0, 300)
            .Select(_ => string.Join(' ', Enumerable.Range(0, rng.Next(4, 10)).Select(_ => words[rng.Next(words.Length)])) + ".");
        string path = Path.Combine(_folder, "corpus.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Runs `quill ARGS` with only the distill command; returns the exit code and what went to stderr.</summary>
    private static (int ExitCode, string Stderr) Distill(params string[] args)
    {
        var root = new Command("quill") { DistillCommand.Create() };
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(error);
        try
        {
            return (root.Parse(["distill", .. args]).Invoke(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    private string[] Tiny(string output, params string[] extra) =>
    [
        "--teacher", Teacher(), "--data", Corpus(), "-o", output, "--seq-len", "32", "--batch-size", "4", "--eval-every", "4", "--log-every", "2",
        "--checkpoint-every", "3", "-t", "2", .. extra,
    ];

    [Fact]
    public void DistillsResumesAndWritesALoadableModel()
    {
        string output = Path.Combine(_folder, "run");
        var paused = Distill(Tiny(output, "--init-from-teacher", "--keep-layers", "0,3", "--steps", "6", "--stop-after", "4", "--alpha", "0.7"));
        Assert.True(paused.ExitCode == 0, paused.Stderr);
        Assert.Contains("quill distill --resume", paused.Stderr);
        var resumed = Distill("--resume", output);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("perplexity", resumed.Stderr);

        var last = JsonDocument.Parse(File.ReadLines(Path.Combine(output, "metrics.jsonl")).Last()).RootElement;
        Assert.Equal(6, last.GetProperty("step").GetInt64());
        Assert.Equal(0.7 * last.GetProperty("kd_loss").GetDouble() + 0.3 * last.GetProperty("ce_loss").GetDouble(), last.GetProperty("loss").GetDouble(), 1e-4);
        string model = Path.Combine(output, "model.gguf");
        using (var file = GgufFile.Open(model)) Assert.Equal(2u, file.GetUInt32("llama.block_count"));
        using var lm = LanguageModel.Load(model);
        var request = new GenerationRequest { Prompt = "the king", MaxTokens = 4, Sampling = SamplingOptions.Greedy };
        var text = new Generator(lm.Model, lm.Tokenizer).Generate(request);
        Assert.True(text.CompletionTokens > 0);
    }

    [Theory]
    [InlineData(new[] { "--preset", "tiny", "--init-from-teacher" }, "distill needs one student")]
    [InlineData(new string[0], "distill needs one student")]
    [InlineData(new[] { "--preset", "tiny", "--keep-layers", "0,2" }, "--keep-layers needs --init-from-teacher")]
    [InlineData(new[] { "--init-from-teacher", "--keep-layers", "0,9" }, "expected blocks 0..3 of the teacher, found 9")]
    [InlineData(new[] { "--preset", "tiny", "--alpha", "1.5" }, "--alpha must be in [0, 1], found 1.5")]
    [InlineData(new[] { "--preset", "tiny", "--temperature", "0" }, "--temperature must be positive, found 0")]
    public void FlagMistakesAreOneLineErrors(string[] flags, string message)
    {
        var r = Distill(Tiny(Path.Combine(_folder, "bad"), [.. flags, "--steps", "2"]));
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("quill:", StringComparison.Ordinal));
        Assert.Contains(message, line);
    }

    [Fact]
    public void AStudentOfAnotherVocabularyIsRefusedInOneLine()
    {
        string other = Teacher(vocab: 300, name: "other.gguf");
        var r = Distill(Tiny(Path.Combine(_folder, "bad"), "--student", other, "--steps", "2"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("quill: other.gguf: expected the teacher's vocabulary (teacher.gguf, 320 tokens), found 300 tokens; a student must share its " +
            "teacher's tokenizer", r.Stderr.Trim());
    }
}

/// <summary>Tests that swap Console's writers run one at a time.</summary>
[CollectionDefinition(nameof(ConsoleCapture), DisableParallelization = true)]
public sealed class ConsoleCapture;
