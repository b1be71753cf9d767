// `quill demo`: the main job on embedded defaults: make a small model once, then generate from it end to end.
using System.CommandLine;
using Quill.Generation;

namespace Quill.Cli.Commands;

internal static class DemoCommand
{
    /// <summary>The shipped model's file name, copied beside the CLI from models/ in the repository.</summary>
    public const string ModelFileName = "kjv-demo.gguf";

    /// <summary>
    /// The model `demo`, `generate` and `chat` use when none is named: a 2.6M-parameter Llama that `quill train`
    /// pre-trained on the King James Bible (models/train-kjv-demo.sh reproduces it).
    /// </summary>
    internal static string DefaultModel()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "models", ModelFileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: expected the shipped demo model beside the CLI, found no such file (rebuild, or name a model with -m)",
                path);
        return path;
    }

    public static Command Create()
    {
        var command = new Command("demo", "Run the shipped demo model end to end: tokenize, generate greedy and sampled text, measure speed\n" +
            "  the model: a small Llama pre-trained by `quill train` on the King James Bible (models/train-kjv-demo.sh)\n  example: quill demo");
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            string path = DefaultModel();
            using var lm = GenerateCommand.Load(path, threads: 0);
            Console.Out.WriteLine($"model: {path} ({lm.File.GetString("general.name")}, trained by quill train on the King James Bible)");
            const string prompt = "And God said";
            var ids = lm.Tokenizer.Encode(prompt);
            Console.Out.WriteLine($"prompt: \"{prompt}\" -> {ids.Length} tokens [{string.Join(", ", ids)}]");
            Console.Out.Write("greedy: ");
            var generator = new Generator(lm.Model, lm.Tokenizer);
            GenerateCommand.Stream(generator, new GenerationRequest { Prompt = prompt, MaxTokens = 40, Sampling = SamplingOptions.Greedy }, ct);
            Console.Out.Write("sampled (seed 1): ");
            GenerateCommand.Stream(generator, new GenerationRequest
            {
                Prompt = prompt, MaxTokens = 40, Sampling = new SamplingOptions { Temperature = 0.8f, TopP = 0.95f, Seed = 1 },
            }, ct);
            var bench = Benchmarking.ThroughputBenchmark.Run(lm.Model, 128, 32, repetitions: 1);
            Console.Out.WriteLine($"speed: prompt {bench.PromptTokensPerSecond:F0} tokens/s, generation {bench.GenerationTokensPerSecond:F0} tokens/s");
            return 0;
        })));
        return command;
    }
}
