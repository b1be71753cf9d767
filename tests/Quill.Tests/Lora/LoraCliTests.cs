// `quill lora merge` and `quill generate --lora` end to end in a child process, with their one-line refusals.
using System.Text.Json;
using Quill.Tests.Cli;
using static Quill.Tests.Lora.LoraTestFiles;

namespace Quill.Tests.Lora;

public sealed class LoraCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Completion(CliResult r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    private static string[] Greedy(string model, params string[] extra) =>
        ["generate", "-m", model, "-p", "the cat sat", "-n", "10", "--temperature", "0", "--json", "-t", "1", .. extra];

    [Fact]
    public void MergedModelGeneratesWhatTheBaseWithTheAdapterGenerates()
    {
        string adapter = Write(_folder, Random(BaseOptions(), alpha: 16f));
        string merged = Path.Combine(_folder, "merged.gguf");

        var m = QuillCli.Run("lora", "merge", "-m", Base(), "--adapter", adapter, "-o", merged);
        Assert.True(m.ExitCode == 0, m.Stderr);
        Assert.Contains("wrote", m.Stdout);

        string withAdapter = Completion(QuillCli.Run(Greedy(Base(), "--lora", adapter)));
        Assert.Equal(Completion(QuillCli.Run(Greedy(merged))), withAdapter);
        Assert.NotEqual(Completion(QuillCli.Run(Greedy(Base()))), withAdapter);
    }

    [Fact]
    public void RepeatedLoraFlagsApplyEveryAdapter()
    {
        var whole = Random(BaseOptions(), alpha: 16f);
        string first = Write(_folder, whole with { Weights = [.. whole.Weights.Where(w => w.Target.Contains("attn", StringComparison.Ordinal))] }, "attn.gguf");
        string second = Write(_folder, whole with { Weights = [.. whole.Weights.Where(w => w.Target.Contains("ffn", StringComparison.Ordinal))] }, "ffn.gguf");
        string both = Write(_folder, whole, "both.gguf");

        Assert.Equal(Completion(QuillCli.Run(Greedy(Base(), "--lora", both))), Completion(QuillCli.Run(Greedy(Base(), "--lora", first, "--lora", second))));
    }

    [Theory]
    [InlineData("base as adapter", "expected general.type 'adapter'")]
    [InlineData("missing adapter", "no such LoRA adapter file")]
    [InlineData("quantized output", "--type 'q8_0' is not one of: f32, f16, bf16")]
    public void MergeRefusesBadInputWithOneLineAndWritesNothing(string problem, string expected)
    {
        string output = Path.Combine(_folder, "merged.gguf");
        string adapter = problem switch
        {
            "base as adapter" => Base(),
            "missing adapter" => Path.Combine(_folder, "missing.gguf"),
            _ => Write(_folder, Random(BaseOptions())),
        };
        string type = problem == "quantized output" ? "q8_0" : "f16";

        var r = QuillCli.Run("lora", "merge", "-m", Base(), "--adapter", adapter, "-o", output, "--type", type);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("quill: ", r.Stderr);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void GenerateRefusesAnAdapterForAnotherModel()
    {
        string adapter = Write(_folder, Random(BaseOptions() with { Dim = 32 }));
        var r = QuillCli.Run(Greedy(Base(), "--lora", adapter));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("adapter.gguf: expected In 64, Out 64", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void HelpShowsTheLoraCommandAndFlag()
    {
        Assert.Contains("lora", QuillCli.Run("--help").Stdout);
        Assert.Contains("merge", QuillCli.Run("lora", "--help").Stdout);
        Assert.Contains("--lora", QuillCli.Run("generate", "--help").Stdout);
    }
}
