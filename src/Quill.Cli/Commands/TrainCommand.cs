// `quill train`, `quill finetune` and `quill dpo`: flags into a TrainingJobSpec, then the run with a progress bar.
using System.CommandLine;
using Quill.Tokenizers.ChatTemplates;
using Quill.Training.Model;
using Quill.Training.Runs;

namespace Quill.Cli.Commands;

internal static class TrainCommand
{
    public static Command Train()
    {
        var flags = new TrainingFlags();
        var preset = new Option<string?>("--preset") { Description = $"Model shape: {string.Join(", ", LlamaShape.Presets.Keys)}" };
        var config =
            new Option<string?>("--config")
            {
                Description = "Model shape from a JSON file: {\"dim\", \"layers\", \"heads\", \"kv_heads\", \"ffn\", " +
            "\"context\"}"
            };
        var tokenizer =
            new Option<string?>("--tokenizer")
            {
                Description = "Use this tokenizer (GGUF, tokenizer.json or folder) instead of learning a byte-level BPE on " +
            "the data"
            };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size of the BPE learned on the data", DefaultValueFactory = _ => 4096 };
        var command = new Command("train", "Pre-train a Llama model from scratch on text files (learning a BPE tokenizer first)\n" +
            "  writes OUT_DIR/model.gguf, metrics.jsonl, loss.png, checkpoints/ and tokenizer/\n" +
            "  example: quill train --preset tiny --data corpus.txt -o runs/tiny --steps 500")
        {
            preset, config, tokenizer, vocab,
        };
        foreach (var o in flags.All()) command.Options.Add(o);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            if (Resumed(r, flags, "train") is { } resumed) return Execute(resumed, true, r.GetValue(flags.StopAfter), ct);
            if (r.GetValue(preset) is not null == r.GetValue(config) is not null) throw new ArgumentException("train needs --preset or --config (one of them)");
            var shape = r.GetValue(preset) is { } name ? LlamaShape.Preset(name) : LlamaShape.FromJsonFile(r.GetValue(config)!);
            var spec = flags.ToSpec(r, "train") with
            {
                Shape = shape,
                Tokenizer = r.GetValue(tokenizer) is { } t ? Path.GetFullPath(t) : null,
                Vocab = r.GetValue(vocab) >= 257 ? r.GetValue(vocab) : throw new ArgumentException("--vocab must be at least 257"),
                LoraRank = 0,
            };
            return Execute(spec, false, r.GetValue(flags.StopAfter), ct);
        })));
        return command;
    }

    public static Command Finetune()
    {
        var flags = new TrainingFlags();
        var lora = new LoraFlags();
        var model = CommonOptions.Model(required: false);
        var strict = new Option<bool>("--strict") { Description = "Refuse the data at the first malformed line instead of skipping it" };
        var chatTemplate = new Option<string?>("--chat-template")
        {
            Description = $"A Jinja chat template file, or a built-in ({string.Join(", ", ChatTemplate.BuiltInNames)}), to render the data with; " +
                "written into model.gguf (default: the base model's)",
        };
        var command = new Command("finetune", "Fine-tune a model on JSONL chat or prompt/completion data, with LoRA (default) or every weight (--full)\n" +
            "  data lines: {\"messages\":[{\"role\":\"user\",\"content\":\"...\"},{\"role\":\"assistant\",\"content\":\"...\"}]} or " +
                "{\"prompt\":\"...\",\"completion\":\"...\"}\n" +
            "  writes OUT_DIR/model.gguf (adapters merged), adapter.gguf (LoRA), metrics.jsonl, loss.png, checkpoints/\n" +
            "  example: quill finetune -m base.gguf --data chat.jsonl -o runs/ft --lora-rank 8 --epochs 3")
        {
            model, strict, chatTemplate,
        };
        foreach (var o in flags.All().Concat(lora.All())) command.Options.Add(o);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            if (Resumed(r, flags, "finetune") is { } resumed) return Execute(resumed, true, r.GetValue(flags.StopAfter), ct);
            var spec = lora.Apply(r, flags.ToSpec(r, "finetune")) with
            {
                BaseModel = Path.GetFullPath(r.GetValue(model) ?? throw new ArgumentException("finetune needs a base model (-m BASE.gguf)")),
                Strict = r.GetValue(strict),
                ChatTemplate = r.GetValue(chatTemplate) is { } t ? TemplateSource(t) : null,
            };
            return Execute(spec, false, r.GetValue(flags.StopAfter), ct);
        })));
        return command;
    }

    public static Command Dpo()
    {
        var flags = new TrainingFlags();
        var lora = new LoraFlags();
        var model = CommonOptions.Model(required: false);
        var beta = new Option<float>("--beta")
        {
            Description = "DPO's β: how far the policy may move from the frozen reference",
            DefaultValueFactory = _ => 0.1f
        };
        var strict = new Option<bool>("--strict") { Description = "Refuse the data at the first malformed line instead of skipping it" };
        var command = new Command("dpo", "Preference-tune a model with DPO against a frozen copy of itself (the reference)\n" +
            "  data lines: {\"prompt\":\"...\",\"chosen\":\"...\",\"rejected\":\"...\"} (prompt may be a messages array)\n" +
            "  example: quill dpo -m sft.gguf --data pairs.jsonl -o runs/dpo --epochs 2 --lr 5e-5")
        {
            model, beta, strict,
        };
        foreach (var o in flags.All().Concat(lora.All())) command.Options.Add(o);
        command.SetAction((r, ct) => Task.FromResult(CliErrors.Run(() =>
        {
            if (Resumed(r, flags, "dpo") is { } resumed) return Execute(resumed, true, r.GetValue(flags.StopAfter), ct);
            var spec = lora.Apply(r, flags.ToSpec(r, "dpo")) with
            {
                BaseModel = Path.GetFullPath(r.GetValue(model) ?? throw new ArgumentException("dpo needs a model (-m MODEL.gguf)")),
                DpoBeta = r.GetValue(beta) is > 0 and var b ? b : throw new ArgumentException("--beta must be positive"),
                Strict = r.GetValue(strict),
            };
            return Execute(spec, false, r.GetValue(flags.StopAfter), ct);
        })));
        return command;
    }

    /// <summary>The saved spec of the run named by --resume, or null for a fresh run.</summary>
    internal static TrainingJobSpec? Resumed(ParseResult r, TrainingFlags flags, string kind)
    {
        if (r.GetValue(flags.Resume) is not { } folder) return null;
        var spec = TrainingJobSpec.Load(Path.GetFullPath(folder));
        if (spec.Kind != kind) throw new ArgumentException($"{folder}: holds a '{spec.Kind}' run, not '{kind}' (use quill {spec.Kind} --resume {folder})");
        return spec with { OutputDir = Path.GetFullPath(folder) };
    }

    internal static int Execute(TrainingJobSpec spec, bool resume, long? stopAfter, CancellationToken cancellation)
    {
        var job = TrainingJob.Prepare(spec, line => Console.Error.WriteLine(line));
        TrainingRunResult result;
        using (var bar = new TrainingProgressBar())
            result = new TrainingRun(job).Run(resume, bar, line => Console.Error.WriteLine(line), cancellation, stopAfter);
        if (result.Paused)
        {
            Console.Error.WriteLine($"paused at step {result.Step} ({result.LastCheckpoint}); continue with: quill {spec.Kind} --resume {spec.OutputDir}");
            return cancellation.IsCancellationRequested ? 130 : 0;
        }
        if (!result.Completed)
        {
            string kept = result.LastCheckpoint is null ? "no checkpoint was written" : $"the last good checkpoint is {result.LastCheckpoint}";
            Console.Error.WriteLine($"quill: {result.Failure}; {kept}; continue with: quill {spec.Kind} --resume {spec.OutputDir}");
            return 1;
        }
        if (result.ValidationLoss is float v) Console.Error.WriteLine($"validation loss {v:F4} (perplexity {Math.Exp(v):F2})");
        Console.Out.WriteLine(result.ModelPath);
        if (result.AdapterPath is not null) Console.Out.WriteLine(result.AdapterPath);
        Console.Out.WriteLine(result.MetricsPath);
        Console.Out.WriteLine(result.LossCurvePath);
        return 0;
    }

    /// <summary>A built-in template's source, or a file's text; a bad template fails here with its line.</summary>
    private static string TemplateSource(string nameOrFile)
    {
        string source = ChatTemplate.BuiltInNames.Contains(nameOrFile.ToLowerInvariant())
            ? ChatTemplate.BuiltIn(nameOrFile).Source
            : File.Exists(nameOrFile) ? File.ReadAllText(nameOrFile)
            : throw new FileNotFoundException($"{nameOrFile}: no such chat template file (--chat-template), nor a built-in " +
                $"({string.Join(", ", ChatTemplate.BuiltInNames)})", nameOrFile);
        ChatTemplate.Parse(source, nameOrFile);
        return source;
    }
}
