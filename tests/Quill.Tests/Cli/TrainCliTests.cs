// `quill train`, `finetune` and `dpo` end to end as child processes: outputs, resume, NaN guard, kill -9, bad input.
using System.Text.Json;
using Quill.Formats.Gguf;

namespace Quill.Tests.Cli;

public sealed class TrainCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-train-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Words =
        ["the", "king", "said", "unto", "them", "and", "it", "came", "to", "pass", "that", "lord", "people", "land", "went", "up", "out", "of", "city",
            "house"];

    /// <summary>A deterministic corpus of short sentences over a small vocabulary.</summary>
    private string Corpus(int sentences = 600)
    {
        var rng = new Random(1);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < sentences; i++)
        {
            int n = rng.Next(4, 10);
            for (int w = 0; w < n; w++) text.Append(w == 0 ? "" : " ").Append(Words[rng.Next(Words.Length)]);
            text.Append(".\n");
        }
        string path = Path.Combine(_folder, "corpus.txt");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private string[] TinyTrain(string output, string corpus, params string[] extra) =>
    [
        "train", "--preset", "tiny", "--data", corpus, "-o", output, "--vocab", "300", "--seq-len", "32", "--batch-size", "4",
        "--eval-every", "10", "--log-every", "2", "-t", "2", .. extra,
    ];

    private static void Ok(CliResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");

    [Fact]
    public Task TrainWritesAModelMetricsCurveAndCheckpoints() => Task.Run(() =>
    {
        string corpus = Corpus(), output = Path.Combine(_folder, "run");
        var r = QuillCli.Run(TinyTrain(output, corpus, "--steps", "20", "--checkpoint-every", "5"));
        Ok(r);
        Assert.Contains(Path.Combine(output, "model.gguf"), r.Stdout);
        var records = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(20, records[^1].GetProperty("step").GetInt64());
        foreach (var name in (string[])["step", "loss", "lr", "tokens_per_s"]) Assert.True(records[0].TryGetProperty(name, out _), name);
        Assert.Contains(records, e => e.TryGetProperty("val_loss", out _));
        Assert.True(records[^1].GetProperty("loss").GetDouble() < records[0].GetProperty("loss").GetDouble());
        var png = File.ReadAllBytes(Path.Combine(output, "loss.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        var checkpoints = Directory.GetFiles(Path.Combine(output, "checkpoints"));
        Assert.InRange(checkpoints.Length, 1, 3);
        Assert.True(File.Exists(Path.Combine(output, "tokenizer", "tokenizer.json")));
        Assert.Equal("run", ModelName(Path.Combine(output, "model.gguf"))); // no --name: the output folder's name

        var generated = QuillCli.Run("generate", "-m", Path.Combine(output, "model.gguf"), "-p", "the king", "-n", "8", "--temp", "0");
        Ok(generated);
        Assert.False(string.IsNullOrWhiteSpace(generated.Stdout));

        var again = QuillCli.Run(TinyTrain(output, corpus, "--steps", "20"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--resume", again.Stderr);
    });

    private static string? ModelName(string path)
    {
        using var file = GgufFile.Open(path);
        return file.GetString("general.name");
    }

    private static Dictionary<string, byte[]> TensorBytes(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Tensors.ToDictionary(t => t.Name, t => file.GetTensorData(t).ToArray());
    }

    [Fact]
    public Task PausedAndResumedRunEndsWithBitIdenticalWeights() => Task.Run(() =>
    {
        string corpus = Corpus();
        string straight = Path.Combine(_folder, "straight"), split = Path.Combine(_folder, "split");
        Ok(QuillCli.Run(TinyTrain(straight, corpus, "--steps", "16")));
        var paused = QuillCli.Run(TinyTrain(split, corpus, "--steps", "16", "--stop-after", "7", "--name", "tiny king"));
        Ok(paused);
        Assert.Contains("--resume", paused.Stderr);
        Assert.False(File.Exists(Path.Combine(split, "model.gguf")));
        Ok(QuillCli.Run("train", "--resume", split));
        Assert.Equal("tiny king", ModelName(Path.Combine(split, "model.gguf"))); // --name, kept in run.json across the resume
        Assert.Equal("straight", ModelName(Path.Combine(straight, "model.gguf")));
        var a = TensorBytes(Path.Combine(straight, "model.gguf"));
        var b = TensorBytes(Path.Combine(split, "model.gguf"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs after resume");
        var steps = File.ReadAllLines(Path.Combine(split,
            "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
        Assert.Equal(steps.Order().Distinct(), steps); // no step logged twice after the resume
    });

    [Fact]
    public Task NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() => Task.Run(() =>
    {
        string output = Path.Combine(_folder, "nan");
        var r = QuillCli.Run(TinyTrain(output, Corpus(), "--steps", "30", "--lr", "1e38", "--clip", "0", "--warmup", "0", "--checkpoint-every", "1"));
        Assert.Equal(1, r.ExitCode);
        string last = r.Stderr.TrimEnd().Split('\n')[^1];
        Assert.Matches("became (NaN|∞|-∞|Infinity)", last);
        Assert.Contains("--resume", last);
        Assert.False(File.Exists(Path.Combine(output, "model.gguf")));
    });

    [Fact]
    public Task KilledDuringCheckpointsTheRunResumes() => Task.Run(() =>
    {
        string corpus = Corpus(), output = Path.Combine(_folder, "killed");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"));
        foreach (var a in TinyTrain(output, corpus, "--steps", "400", "--checkpoint-every", "1", "--keep", "2")) info.ArgumentList.Add(a);
        using (var process = System.Diagnostics.Process.Start(info)!)
        {
            _ = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            string checkpoints = Path.Combine(output, "checkpoints");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(60) && !(Directory.Exists(checkpoints) && Directory.GetFiles(checkpoints, "*.ckpt").Length >= 2))
                Thread.Sleep(20);
            Thread.Sleep(137);
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            process.WaitForExit();
        }
        var resumed = QuillCli.Run("train", "--resume", output, "--stop-after", "0");
        Ok(resumed);
        Assert.Contains("resumed at step", resumed.Stderr);
    });

    [Theory]
    [InlineData("missing-data")]
    [InlineData("unknown-preset")]
    [InlineData("shorter-than-a-batch")]
    [InlineData("no-shape")]
    [InlineData("steps-and-epochs")]
    [InlineData("resume-nothing")]
    public Task BadInputGivesOneLineAndExitOne(string which) => Task.Run(() =>
    {
        string output = Path.Combine(_folder, which);
        string tinyCorpus = Path.Combine(_folder, "tiny.txt");
        File.WriteAllText(tinyCorpus, "the king said.\n");
        string[] args = which switch
        {
            "missing-data" => TinyTrain(output, Path.Combine(_folder, "nope.txt")),
            "unknown-preset" => ["train", "--preset", "huge", "--data", Corpus(), "-o", output],
            "shorter-than-a-batch"
                => ["train", "--preset", "tiny", "--data", Corpus(20), "-o", output, "--vocab", "300", "--seq-len", "32", "--batch-size", "64"],
            "no-shape" => ["train", "--data", Corpus(), "-o", output],
            "steps-and-epochs" => TinyTrain(output, Corpus(), "--steps", "3", "--epochs", "1"),
            _ => ["train", "--resume", Path.Combine(_folder, "no-such-run")],
        };
        var r = QuillCli.Run(args);
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("quill:")).ToList();
        Assert.Single(lines);
        Assert.DoesNotContain("   at ", r.Stderr);
    });

    /// <summary>A tiny pre-trained base model (shared by the fine-tuning tests of one instance).</summary>
    private string BaseModel()
    {
        string output = Path.Combine(_folder, "base");
        Ok(QuillCli.Run(TinyTrain(output, Corpus(), "--steps", "6")));
        return Path.Combine(output, "model.gguf");
    }

    private string ChatData(bool withBadLines = false)
    {
        var lines = new List<string>();
        for (int i = 0; i < 24; i++)
        {
            string q = Words[i % Words.Length], a = Words[(i * 7 + 3) % Words.Length];
            lines.Add(i % 2 == 0
                ? JsonSerializer.Serialize(new
                {
                    messages = new[] { new { role = "user", content = $"say {q}" },
                    new { role = "assistant", content = $"{q} {a} {a}." } }
                })
                : JsonSerializer.Serialize(new { prompt = $"say {q}", completion = $" {q} {a}." }));
        }
        if (withBadLines)
        {
            lines.Insert(3, "{not json");
            lines.Insert(8, "{\"messages\": 5}");
        }
        string path = Path.Combine(_folder, withBadLines ? "chat-bad.jsonl" : "chat.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public Task LoraFinetuneWritesAnAdapterThatGenerateAppliesLikeTheMergedModel() => Task.Run(() =>
    {
        string baseModel = BaseModel(), output = Path.Combine(_folder, "ft");
        var r = QuillCli.Run("finetune", "-m", baseModel, "--data", ChatData(), "-o", output, "--steps", "8", "--batch-size", "4",
            "--seq-len", "48", "--lr", "1e-2", "--lora-rank", "4", "--lora-targets", "q,v,down", "-t", "2");
        Ok(r);
        string merged = Path.Combine(output, "model.gguf"), adapter = Path.Combine(output, "adapter.gguf");
        Assert.True(File.Exists(adapter));
        Assert.Contains("LoRA rank 4", r.Stderr);
        var viaMerged = QuillCli.Run("generate", "-m", merged, "-p", "say king", "-n", "12", "--temp", "0");
        var viaAdapter = QuillCli.Run("generate", "-m", baseModel, "--lora", adapter, "-p", "say king", "-n", "12", "--temp", "0");
        var plain = QuillCli.Run("generate", "-m", baseModel, "-p", "say king", "-n", "12", "--temp", "0");
        Ok(viaMerged);
        Ok(viaAdapter);
        Assert.Equal(viaMerged.Stdout, viaAdapter.Stdout);
        Assert.NotEqual(plain.Stdout, viaMerged.Stdout);
    });

    [Fact]
    public Task FullFinetuneAndMalformedLines() => Task.Run(() =>
    {
        string baseModel = BaseModel(), data = ChatData(withBadLines: true);
        var r = QuillCli.Run("finetune", "-m", baseModel, "--data", data, "-o", Path.Combine(_folder, "full"), "--full", "--steps", "3",
            "--batch-size", "4", "--seq-len", "48", "-t", "2");
        Ok(r);
        Assert.Contains("2 skipped (lines 4, 9)", r.Stderr);
        Assert.Contains("every weight", r.Stderr);
        Assert.False(File.Exists(Path.Combine(_folder, "full", "adapter.gguf")));

        var strict = QuillCli.Run("finetune", "-m", baseModel, "--data", data, "-o", Path.Combine(_folder, "strict"), "--strict", "--steps", "3");
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("chat-bad.jsonl", strict.Stderr);
        Assert.Contains("line 4", strict.Stderr);
    });

    [Fact]
    public Task FinetuneChatTemplateRendersTheDataAndTravelsWithTheModel() => Task.Run(() =>
    {
        string baseModel = BaseModel(), template = Path.Combine(_folder, "template.jinja");
        File.WriteAllText(template, "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}{{ eos_token }}{% endif %}\n" +
            "{% endfor %}{% if add_generation_prompt %}assistant:\n{% endif %}");
        string output = Path.Combine(_folder, "templated");
        Ok(QuillCli.Run("finetune", "-m", baseModel, "--data", ChatData(), "-o", output, "--full", "--steps", "2", "--batch-size", "4",
            "--seq-len", "48", "-t", "2", "--chat-template", template));
        using (var file = Quill.Formats.Gguf.GgufFile.Open(Path.Combine(output, "model.gguf")))
        {
            Assert.Equal(File.ReadAllText(template), file.GetString("tokenizer.chat_template"));
        }
        var builtIn = QuillCli.Run("finetune", "-m", baseModel, "--data", ChatData(), "-o", Path.Combine(_folder, "zephyr"), "--full", "--steps", "1",
            "--batch-size", "4", "--seq-len", "48", "--chat-template", "zephyr");
        Ok(builtIn);
        var missing = QuillCli.Run("finetune", "-m", baseModel, "--data", ChatData(), "-o", Path.Combine(_folder, "none"), "--chat-template",
            Path.Combine(_folder, "no-such.jinja"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such.jinja: no such chat template file", missing.Stderr);
        File.WriteAllText(template, "{% for m in messages %}");
        var broken = QuillCli.Run("finetune", "-m", baseModel, "--data", ChatData(), "-o", Path.Combine(_folder, "broken"), "--chat-template", template);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("template.jinja", broken.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_folder, "broken")));
    });

    [Fact]
    public Task DpoTrainsAgainstAFrozenReferenceAndLogsRewardAccuracy() => Task.Run(() =>
    {
        string baseModel = BaseModel(), data = Path.Combine(_folder, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i => JsonSerializer.Serialize(new
        {
            prompt = $"say {Words[i % Words.Length]}",
            chosen = $" {Words[i % Words.Length]} land.",
            rejected = $" house {Words[(i + 5) % Words.Length]}.",
        })));
        string output = Path.Combine(_folder, "dpo");
        var r = QuillCli.Run("dpo", "-m", baseModel, "--data", data, "-o", output, "--steps", "6", "--batch-size", "4", "--seq-len", "32",
            "--lr", "1e-2", "--val-fraction", "0.25", "-t", "2");
        Ok(r);
        Assert.True(File.Exists(Path.Combine(output, "model.gguf")));
        var last = JsonDocument.Parse(File.ReadAllLines(Path.Combine(output, "metrics.jsonl"))[^1]).RootElement;
        Assert.InRange(last.GetProperty("reward_accuracy").GetDouble(), 0, 1);
        Assert.True(last.TryGetProperty("reward_margin", out _));
        Assert.True(last.TryGetProperty("val_loss", out _)); // every 4th pair held out
    });
}
