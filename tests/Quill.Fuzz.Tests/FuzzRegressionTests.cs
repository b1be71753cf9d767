// Replays every saved fuzz crash (tests/fuzz-regressions/TARGET/*.bin) and a short fixed-seed fuzz of each file target: none may crash again.
namespace Quill.Fuzz.Tests;

public sealed class FuzzRegressionTests
{
    private const int ShortRuns = 150;

    private static string Root()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "Quill.slnx"))) return dir;
        throw new DirectoryNotFoundException("no Quill.slnx above the test's folder");
    }

    public static TheoryData<string, string> SavedInputs()
    {
        var data = new TheoryData<string, string>();
        string folder = Path.Combine(Root(), "tests", "fuzz-regressions");
        if (!Directory.Exists(folder)) return data;
        foreach (string file in Directory.EnumerateFiles(folder, "*.bin", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(Path.GetDirectoryName(file)!), Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(SavedInputs))]
    public void Saved_crash_input_is_now_handled(string target, string file)
    {
        using FuzzTarget fuzz = FuzzRunner.Targets[target]();
        byte[] input = File.ReadAllBytes(Path.Combine(Root(), "tests", "fuzz-regressions", target, file));
        FuzzOutcome outcome = FuzzRunner.RunOne(fuzz, input);
        Assert.False(outcome.IsCrash, $"{target}/{file}: {outcome.Signature}\n{outcome.Error}");
    }

    [Theory]
    [InlineData("gguf")]
    [InlineData("safetensors")]
    [InlineData("onnx")]
    [InlineData("tokenizer-json")]
    [InlineData("vocab")]
    [InlineData("tiktoken")]
    [InlineData("jinja")]
    [InlineData("json-schema")]
    public void Seeds_and_a_short_fixed_seed_fuzz_do_not_crash(string target)
    {
        using FuzzTarget fuzz = FuzzRunner.Targets[target]();
        IReadOnlyList<byte[]> seeds = fuzz.Seeds();
        foreach (byte[] seed in seeds) Assert.Equal("ok", FuzzRunner.RunOne(fuzz, seed).Kind);
        var random = new Random(16);
        for (int i = 0; i < ShortRuns; i++)
        {
            byte[] input = fuzz.Mutate(seeds[random.Next(seeds.Count)], seeds[random.Next(seeds.Count)], random);
            FuzzOutcome outcome = FuzzRunner.RunOne(fuzz, input);
            Assert.False(outcome.IsCrash, $"{target} run {i}: {outcome.Signature}\n{outcome.Error}");
        }
    }
}
