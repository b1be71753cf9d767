// Everything that defines a training run, saved as OUT_DIR/run.json so `--resume OUT_DIR` rebuilds the same run.
using System.Text.Json;
using System.Text.Json.Serialization;
using Quill.Training.Model;

namespace Quill.Training.Runs;

/// <summary>What <c>quill train</c>, <c>finetune</c>, <c>dpo</c> and <c>distill</c> were asked to do; paths are stored absolute.</summary>
public sealed record TrainingJobSpec
{
    public const string FileName = "run.json";

    /// <summary>"train" (pre-training), "finetune", "dpo" or "distill".</summary>
    public required string Kind { get; init; }
    public required string OutputDir { get; init; }
    public required string[] Data { get; init; }

    /// <summary>
    /// The model's name, written as general.name of model.gguf; the CLI stores --name or the output folder's name here, so
    /// a resumed run keeps it. Null (a spec made in code, or a run.json from before) names it after <see cref="OutputDir"/>.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>The starting GGUF for finetune and dpo, and a distillation student's (--student).</summary>
    public string? BaseModel { get; init; }

    /// <summary>A tokenizer for pre-training (GGUF, tokenizer.json or folder); null learns a byte-level BPE first.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>
    /// Fine-tuning: the Jinja chat template that renders the data and is written into the trained model as
    /// tokenizer.chat_template (null keeps the base model's, or ChatML when it has none).
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Vocabulary size of the BPE learned when <see cref="Tokenizer"/> is null.</summary>
    public int Vocab { get; init; } = 4096;

    /// <summary>The architecture for pre-training and a new distillation student (from a preset or a JSON config).</summary>
    public LlamaShape? Shape { get; init; }

    public int SequenceLength { get; init; } = 256;

    /// <summary>Optimizer steps; null derives them from <see cref="Epochs"/>.</summary>
    public long? Steps { get; init; }
    public double? Epochs { get; init; }
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    public float LearningRate { get; init; } = 1e-3f;
    public float? MinimumLearningRate { get; init; }
    public long WarmupSteps { get; init; } = 20;
    public float WeightDecay { get; init; } = 0.1f;
    public double ClipNorm { get; init; } = 1.0;
    public ulong Seed { get; init; } = 42;
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    public int Threads { get; init; }
    public bool UniformLengthBatches { get; init; } = true;

    /// <summary>LoRA rank for finetune and dpo; 0 trains every weight (--full).</summary>
    public int LoraRank { get; init; } = 8;
    public float LoraAlpha { get; init; } = 16f;
    public string[] LoraTargets { get; init; } = ["q", "k", "v", "o", "gate", "up", "down"];

    /// <summary>DPO's β.</summary>
    public float DpoBeta { get; init; } = 0.1f;

    /// <summary>The teacher GGUF of a distillation (its tokenizer is the student's).</summary>
    public string? Teacher { get; init; }

    /// <summary>True when the distillation student starts as the teacher's <see cref="KeepLayers"/> (--init-from-teacher).</summary>
    public bool InitFromTeacher { get; init; }

    /// <summary>The teacher blocks such a student keeps, renumbered 0, 1, ...; null keeps every other one (0, 2, 4, ...).</summary>
    public int[]? KeepLayers { get; init; }

    /// <summary>Distillation's temperature T, softening both distributions of the KD term.</summary>
    public float DistillTemperature { get; init; } = 2f;

    /// <summary>Distillation's weight of the KD term (1 − alpha weighs the cross-entropy on the data).</summary>
    public float DistillAlpha { get; init; } = 0.5f;

    /// <summary>Fraction of packed blocks (pre-training) held out; instruction data holds out every 1/fraction-th example.</summary>
    public double ValidationFraction { get; init; } = 0.05;
    public bool Strict { get; init; }
    public int LogEvery { get; init; } = 10;
    public int EvaluateEvery { get; init; } = 100;
    public int EvaluationBatches { get; init; } = 8;
    public int CheckpointEvery { get; init; } = 100;
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The type of model.gguf's matrices: F32, F16, BF16 or Q8_0 (norms stay F32).</summary>
    public Quill.Tensors.GgmlType ModelType { get; init; } = Quill.Tensors.GgmlType.F32;

    /// <summary>The last segment of <paramref name="folder"/>, a trailing separator ignored: runs/tiny/ is "tiny".</summary>
    public static string FolderName(string folder) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));

    public string ToJson() => JsonSerializer.Serialize(this, TrainingJobSpecJson.Default.TrainingJobSpec);

    public void Save(string folder) =>
        Quill.Formats.AtomicFileWriter.Write(Path.Combine(folder, FileName), s => s.Write(System.Text.Encoding.UTF8.GetBytes(ToJson())));

    /// <summary>Reads OUT_DIR/run.json; a missing or malformed file is a one-line error naming it.</summary>
    public static TrainingJobSpec Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: expected the run description of a training run to resume, found no such file", path);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), TrainingJobSpecJson.Default.TrainingJobSpec)
                ?? throw new InvalidDataException($"{path}: expected a run description, found null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: expected a run description, found invalid JSON ({e.Message.Split('\n')[0]})");
        }
    }
}

/// <summary>run.json's shape: snake_case names and enum values, indented; source-generated, so no reflection (NativeAOT).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    Converters = [typeof(SnakeCaseEnumConverter<TrainingPrecision>), typeof(SnakeCaseEnumConverter<Quill.Tensors.GgmlType>)])]
[JsonSerializable(typeof(TrainingJobSpec))]
internal sealed partial class TrainingJobSpecJson : JsonSerializerContext;

/// <summary>An enum written as its snake_case name, as run.json has always spelled them.</summary>
internal sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower) where T : struct, Enum;
