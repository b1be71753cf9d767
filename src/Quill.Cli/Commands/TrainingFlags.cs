// The flags `quill train`, `finetune`, `dpo` and `distill` share, and how they become a TrainingJobSpec; not the run itself.
using System.CommandLine;
using System.Globalization;
using Quill.Training.Model;
using Quill.Training.Runs;

namespace Quill.Cli.Commands;

internal sealed class TrainingFlags
{
    public Option<string[]> Data { get; } = new("--data")
    {
        Description = "Training data: text files (train, distill) or one JSONL file (finetune, dpo)",
        AllowMultipleArgumentsPerToken = true
    };
    public Option<string?> Output { get; } = new("--output", "-o") { Description = "The folder for model.gguf, metrics.jsonl, loss.png and checkpoints/" };
    public Option<string?> Name { get; } = new("--name") { Description = "The model's name, general.name in model.gguf (default: the output folder's name)" };
    public Option<string?> Resume { get; } =
        new("--resume") { Description = "Continue the stopped run in this folder exactly where it was (other flags are taken from its run.json)" };
    public Option<long?> StopAfter { get; } = new("--stop-after") { Description = "Pause after this step with a checkpoint (continue later with --resume)" };
    public Option<long?> Steps { get; } = new("--steps") { Description = "Optimizer steps (default: one epoch)" };
    public Option<double?> Epochs { get; } = new("--epochs") { Description = "Passes over the training data, instead of --steps" };
    public Option<int> BatchSize { get; } = new("--batch-size", "-b") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 8 };
    public Option<int> SequenceLength { get; } =
        new("--seq-len")
        {
            Description = "Tokens per sequence (packed block length for train, longest example for finetune/dpo)",
            DefaultValueFactory = _ => 256
        };
    public Option<float> LearningRate { get; } = new("--lr")
    {
        Description = "Peak learning rate (warm-up, then cosine decay to a tenth)",
        DefaultValueFactory = _ => 1e-3f
    };
    public Option<int> GradientAccumulation { get; } = new("--grad-accum") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "fp32, or bf16 (bf16 matmul operands, fp32 master weights and optimizer)",
        DefaultValueFactory = _ => "fp32"
    };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seeds the initial weights and the data order", DefaultValueFactory = _ => 42UL };
    public Option<long> Warmup { get; } = new("--warmup") { Description = "Warm-up steps", DefaultValueFactory = _ => 20L };
    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW's decoupled weight decay", DefaultValueFactory = _ => 0.1f };
    public Option<double> Clip { get; } = new("--clip") { Description = "Clip the global gradient norm to this (0: off)", DefaultValueFactory = _ => 1.0 };
    public Option<int> EvaluateEvery { get; } = new("--eval-every") { Description = "Steps between validation losses", DefaultValueFactory = _ => 100 };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Steps between checkpoints", DefaultValueFactory = _ => 100 };
    public Option<int> Keep { get; } = new("--keep") { Description = "Checkpoints kept (the newest)", DefaultValueFactory = _ => 3 };
    public Option<int> LogEvery { get; } = new("--log-every") { Description = "Steps between lines in metrics.jsonl", DefaultValueFactory = _ => 10 };
    public Option<double> ValidationFraction { get; } = new("--val-fraction")
    {
        Description = "Share of the data held out for validation",
        DefaultValueFactory = _ => 0.05
    };
    public Option<string> OutType { get; } = new("--out-type")
    {
        Description = "Type of model.gguf's weight matrices: f32, f16, bf16 or q8_0",
        DefaultValueFactory = _ => "f32"
    };
    public Option<int> Threads { get; } = CommonOptions.Threads();

    public IEnumerable<Option> All() =>
    [
        Data, Output, Name, Resume, StopAfter, Steps, Epochs, BatchSize, SequenceLength, LearningRate, GradientAccumulation, Precision, Seed, Warmup,
        WeightDecay, Clip, EvaluateEvery, CheckpointEvery, Keep, LogEvery, ValidationFraction, OutType, Threads,
    ];

    /// <summary>The spec the flags describe (without the command's own fields), checked for the mistakes flags can make.</summary>
    public TrainingJobSpec ToSpec(ParseResult r, string kind)
    {
        string[] data = r.GetValue(Data) ?? [];
        if (data.Length == 0) throw new ArgumentException($"{kind} needs --data");
        string output = r.GetValue(Output) ?? throw new ArgumentException($"{kind} needs an output folder (-o OUT_DIR)");
        if (r.GetValue(Steps) is not null && r.GetValue(Epochs) is not null) throw new ArgumentException("give --steps or --epochs, not both");
        string precision = r.GetValue(Precision)!;
        string outputDir = Path.GetFullPath(output);
        return new TrainingJobSpec
        {
            Kind = kind,
            OutputDir = outputDir,
            Name = r.GetValue(Name) is { } name
                ? (string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("--name must not be empty") : name)
                : TrainingJobSpec.FolderName(outputDir),
            Data = [.. data.Select(Path.GetFullPath)],
            Steps = r.GetValue(Steps),
            Epochs = r.GetValue(Epochs),
            BatchSize = Positive(r.GetValue(BatchSize), "--batch-size"),
            SequenceLength = Positive(r.GetValue(SequenceLength), "--seq-len"),
            LearningRate = r.GetValue(LearningRate) is > 0 and var lr
                && float.IsFinite(lr) ? lr : throw new ArgumentException($"--lr must be positive, found " +
                $"{r.GetValue(LearningRate).ToString(CultureInfo.InvariantCulture)}"),
            GradientAccumulation = Positive(r.GetValue(GradientAccumulation), "--grad-accum"),
            Precision = precision switch
            {
                "fp32" => TrainingPrecision.Fp32,
                "bf16" => TrainingPrecision.Bf16,
                _ => throw new ArgumentException($"--precision must be fp32 or bf16, found '{precision}'"),
            },
            Seed = r.GetValue(Seed),
            WarmupSteps = r.GetValue(Warmup) >= 0 ? r.GetValue(Warmup) : throw new ArgumentException("--warmup must not be negative"),
            WeightDecay = r.GetValue(WeightDecay),
            ClipNorm = r.GetValue(Clip),
            EvaluateEvery = r.GetValue(EvaluateEvery),
            CheckpointEvery = r.GetValue(CheckpointEvery),
            KeepCheckpoints = Positive(r.GetValue(Keep), "--keep"),
            LogEvery = Positive(r.GetValue(LogEvery), "--log-every"),
            ValidationFraction = r.GetValue(ValidationFraction) is >= 0 and < 1 and var f ? f : throw new ArgumentException("--val-fraction must be in [0, 1)"),
            Threads = r.GetValue(Threads),
            ModelType = r.GetValue(OutType) switch
            {
                "f32" => Quill.Tensors.GgmlType.F32,
                "f16" => Quill.Tensors.GgmlType.F16,
                "bf16" => Quill.Tensors.GgmlType.BF16,
                "q8_0" => Quill.Tensors.GgmlType.Q8_0,
                var other => throw new ArgumentException($"--out-type must be f32, f16, bf16 or q8_0, found '{other}'"),
            },
        };
    }

    private static int Positive(int value, string flag) => value >= 1 ? value : throw new ArgumentException($"{flag} must be at least 1, found {value}");
}
