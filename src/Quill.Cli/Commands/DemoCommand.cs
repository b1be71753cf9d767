// `quill demo`: the main job on embedded defaults: make a small model once, then generate from it end to end.
using System.CommandLine;
using Quill.Generation;
using Quill.Models.Synthetic;

namespace Quill.Cli.Commands;

internal static class DemoCommand
{
    private static readonly SyntheticModelOptions DemoModel = new()
    {
        Dim = 256, Layers = 4, Heads = 8, KvHeads = 2, FeedForwardDim = 704, VocabSize = 4096, ContextLength = 1024,
        Type = Tensors.GgmlType.Q8_0, Seed = 7,
    };

    /// <summary>The demo model's path, creating it on first use (also the model of `chat` when none is named).</summary>
    internal static string EnsureModel()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "..", "..", ".quill");
        Directory.CreateDirectory(folder);
        string path = Path.GetFullPath(Path.Combine(folder, "demo-q8_0.gguf"));
        if (!File.Exists(path))
        {
            using var progress = new ConsoleProgress("creating demo model");
            SyntheticModelWriter.Write(path, DemoModel, progress);
        }
        return path;
    }

    public static Command Create()
    {
        var command = new Command("demo", "Create a small random-weight model (once) and run it end to end\n  example: quill demo");
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            string path = EnsureModel();
            Console.Out.WriteLine($"model: {path} (random weights: the text is gibberish, the machinery is real)");
            using var lm = GenerateCommand.Load(path, threads: 0, mmap: false);
            const string prompt = "Once upon a time";
            var ids = lm.Tokenizer.Encode(prompt);
            Console.Out.WriteLine($"prompt: \"{prompt}\" -> {ids.Length} tokens [{string.Join(", ", ids)}]");
            Console.Out.Write("greedy: ");
            var generator = new Generator(lm.Model, lm.Tokenizer);
            GenerateCommand.Stream(generator, new GenerationRequest { Prompt = prompt, MaxTokens = 24, Sampling = SamplingOptions.Greedy }, ct).GetAwaiter().GetResult();
            Console.Out.Write("sampled (seed 1): ");
            GenerateCommand.Stream(generator, new GenerationRequest
            {
                Prompt = prompt, MaxTokens = 24, Sampling = new SamplingOptions { Temperature = 0.9f, Seed = 1 },
            }, ct).GetAwaiter().GetResult();
            var bench = Benchmarking.ThroughputBenchmark.Run(lm.Model, 128, 32, repetitions: 1);
            Console.Out.WriteLine($"speed: prompt {bench.PromptTokensPerSecond:F0} tokens/s, generation {bench.GenerationTokensPerSecond:F0} tokens/s");
            return 0;
        })));
        return command;
    }
}
