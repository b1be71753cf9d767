// `quill generate`: streams a completion to stdout, or prints one OpenAI text_completion object with --json.
using System.CommandLine;
using System.Text.Json;
using Quill.Generation;
using Quill.Models;
using Quill.OpenAI;

namespace Quill.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: false);
        model.Description = "Path to a GGUF model file (default: the shipped demo model, trained on the King James Bible)";
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt text (\\n and \\t are escapes)", Required = true };
        var sampling = new SamplingFlags();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var mmap = CommonOptions.Mmap();
        var hugePages = CommonOptions.HugePages();
        var lora = LoraOption();
        var kvType = CommonOptions.KvType();
        var command = new Command("generate", "Generate a completion of a prompt, streamed to stdout\n" +
            "  example: quill generate -m model.gguf -p \"Once upon a time\" -n 64 --temperature 0.7 --seed 1 --stop \"\\n\"\n" +
            "  example: quill generate -p \"And God said\" -n 40   (no -m: the shipped demo model)")
        {
            model, prompt, threads, json, mmap, hugePages, lora, kvType,
        };
        sampling.AddTo(command);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            KvCacheType kv = CommonOptions.KvType(r, kvType);
            WeightLoading loading = CommonOptions.Loading(r, mmap, hugePages);
            using var lm = Load(r.GetValue(model) ?? DemoCommand.DefaultModel(), r.GetValue(threads), loading, r.GetValue(lora), kv);
            var request = sampling.Request(r) with { Prompt = EscapedText.Unescape(r.GetValue(prompt)!) };
            var generator = new Generator(lm.Model, lm.Tokenizer);
            if (r.GetValue(json))
            {
                var result = generator.Generate(request, ct);
                var completion = TextCompletion.Create(lm.Name, [new TextChoice(result.Text, 0, null, OpenAIFinishReason.Of(result.FinishReason))])
                    with
                { Usage = new CompletionUsage(result.PromptTokens, result.CompletionTokens) };
                Console.Out.WriteLine(JsonSerializer.Serialize(completion, OpenAIJsonContext.Default.TextCompletion));
                return 0;
            }
            Stream(generator, request, ct);
            return 0;
        })));
        return command;
    }

    /// <summary>--lora ADAPTER.gguf, repeatable: LoRA adapters applied at run time (generate, serve).</summary>
    internal static Option<string[]> LoraOption() => new("--lora")
    {
        Description = "A LoRA adapter GGUF (llama.cpp's format) to apply at run time; repeat for several",
    };

    internal static LanguageModel Load(string path, int threads, WeightLoading loading = WeightLoading.Copy, string[]? loraAdapters = null,
        KvCacheType kvCacheType = KvCacheType.F16)
    {
        using var progress = new ConsoleProgress("loading");
        return LanguageModel.Load(path, new LoadOptions
        {
            Threads = threads,
            Loading = loading,
            Progress = progress,
            KvCacheType = kvCacheType,
            LoraAdapters = [.. (loraAdapters ?? []).Select(a => new LoraAdapterOption(a))],
        });
    }

    /// <summary>Prints the completion to stdout as it becomes safe to show, then a newline; generation runs on this thread.</summary>
    internal static void Stream(Generator generator, GenerationRequest request, CancellationToken ct)
    {
        TextWriter stdout = Console.Out;
        generator.Generate(request, chunk =>
        {
            stdout.Write(chunk.Text);
            stdout.Flush();
        }, ct);
        stdout.WriteLine();
    }
}
