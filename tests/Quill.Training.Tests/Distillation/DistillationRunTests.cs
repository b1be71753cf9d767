// `quill distill`'s run end to end on tiny models (TrainingJob and TrainingRun, as the CLI drives them): outputs, metrics terms, resume, student checks.
using System.Text.Json;
using Quill.Formats.Gguf;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Training.Model;
using Quill.Training.Runs;

namespace Quill.Training.Tests.Distillation;

public sealed class DistillationRunTests : IDisposable
{
    /// <summary>Largest logit difference between the training forward and the inference engine with an F32 KV cache.</summary>
    private const float F32Tolerance = 2e-3f;

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-distill-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Words =
        ["the", "king", "said", "unto", "them", "and", "it", "came", "to", "pass", "that", "lord", "people", "land", "went", "up", "out", "of"];

    private string Corpus()
    {
        var rng = new Random(1);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < 300; i++)
        {
            int n = rng.Next(4, 10);
            for (int w = 0; w < n; w++) text.Append(w == 0 ? "" : " ").Append(Words[rng.Next(Words.Length)]);
            text.Append(".\n");
        }
        string path = Path.Combine(_folder, "corpus.txt");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>A random llama teacher with a usable tokenizer: C 32, 4 layers, V 320, context 64.</summary>
    private string Teacher(int vocab = 320, string name = "teacher.gguf")
    {
        string path = Path.Combine(_folder, name);
        SyntheticModelWriter.Write(path, new SyntheticModelOptions
        {
            Dim = 32, Layers = 4, Heads = 4, KvHeads = 2, FeedForwardDim = 64, VocabSize = vocab, ContextLength = 64, Seed = 3,
        });
        return path;
    }

    private TrainingJobSpec Spec(string output, string teacher, string corpus) => new()
    {
        Kind = "distill", OutputDir = output, Data = [corpus], Teacher = teacher, InitFromTeacher = true, KeepLayers = [0, 2],
        SequenceLength = 32, BatchSize = 4, Steps = 8, WarmupSteps = 2, LearningRate = 3e-3f, EvaluateEvery = 4, LogEvery = 2,
        CheckpointEvery = 3, Threads = 2, DistillTemperature = 2f, DistillAlpha = 0.5f,
    };

    private static TrainingRunResult Run(TrainingJobSpec spec, bool resume = false, long? stopAfter = null, IProgress<TrainingProgress>? progress = null) =>
        new TrainingRun(TrainingJob.Prepare(spec)).Run(resume, progress, stopAfterStep: stopAfter);

    private static Dictionary<string, byte[]> TensorBytes(string path)
    {
        using var file = GgufFile.Open(path);
        return file.Tensors.ToDictionary(t => t.Name, t => file.GetTensorData(t).ToArray());
    }

    private sealed class Reports : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> All { get; } = [];
        public void Report(TrainingProgress value) => All.Add(value);
    }

    [Fact]
    public void DistillsAStudentThatLoadsAndGeneratesWithBothLossTermsLogged()
    {
        string output = Path.Combine(_folder, "run"), teacher = Teacher();
        var reports = new Reports();
        var result = Run(Spec(output, teacher, Corpus()), progress: reports);
        Assert.True(result.Completed, result.Failure);

        var records = File.ReadAllLines(result.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(8, records[^1].GetProperty("step").GetInt64());
        foreach (var r in records)
        {
            double kd = r.GetProperty(TrainingRun.KdLossName).GetDouble(), ce = r.GetProperty(TrainingRun.CeLossName).GetDouble();
            Assert.True(kd > 0 && ce > 0);
            Assert.Equal(0.5 * kd + 0.5 * ce, r.GetProperty("loss").GetDouble(), 1e-4);
        }
        Assert.Contains(records, r => r.TryGetProperty("val_loss", out _));
        Assert.All(reports.All, p => Assert.True(p.Extra!.ContainsKey(TrainingRun.KdLossName)));
        Assert.True(File.Exists(result.LossCurvePath));
        Assert.InRange(Directory.GetFiles(Path.Combine(output, "checkpoints")).Length, 1, 3);

        using var lm = LanguageModel.Load(result.ModelPath!);
        Assert.Equal(320, lm.Model.VocabSize);
        using (var file = GgufFile.Open(result.ModelPath!)) Assert.Equal(2u, file.GetUInt32("llama.block_count"));
        var generated = new Generator(lm.Model, lm.Tokenizer).Generate(new GenerationRequest
        {
            Prompt = "the king", MaxTokens = 6, Sampling = SamplingOptions.Greedy,
        });
        Assert.True(generated.CompletionTokens > 0);

        // The written model computes what the trained student computed (an F32 KV cache: the training attention is exact F32).
        var student = LlamaTrainingGguf.Load(result.ModelPath!);
        int[] tokens = [1, 100, 200, 7, 42];
        var expected = student.ForwardLogits(new Quill.Training.Data.Batch(1, tokens.Length, tokens, new int[tokens.Length], [tokens.Length])).ToArray();
        using var exact = LanguageModel.Load(result.ModelPath!, new LoadOptions { KvCacheType = Quill.Models.KvCacheType.F32 });
        using var state = exact.Model.CreateState(16);
        var logits = new float[tokens.Length * 320];
        state.AppendAll(tokens, logits);
        for (int i = 0; i < logits.Length; i++) Assert.True(Math.Abs(expected[i] - logits[i]) <= F32Tolerance, $"logit {i}: {expected[i]} vs {logits[i]}");
    }

    [Fact]
    public void PausedAndResumedRunEndsWithBitIdenticalWeights()
    {
        string corpus = Corpus(), teacher = Teacher();
        string straight = Path.Combine(_folder, "straight"), split = Path.Combine(_folder, "split");
        Assert.True(Run(Spec(straight, teacher, corpus)).Completed);
        var paused = Run(Spec(split, teacher, corpus), stopAfter: 5);
        Assert.True(paused.Paused);
        Assert.False(File.Exists(Path.Combine(split, TrainingRun.ModelFile)));
        var resumed = Run(TrainingJobSpec.Load(split), resume: true);
        Assert.True(resumed.Completed, resumed.Failure);
        var a = TensorBytes(Path.Combine(straight, TrainingRun.ModelFile));
        var b = TensorBytes(Path.Combine(split, TrainingRun.ModelFile));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs after resume");
        var steps = File.ReadAllLines(Path.Combine(split, TrainingRun.MetricsFile))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToList();
        Assert.Equal(steps.Order().Distinct(), steps);
        Assert.Equal([0, 2], TrainingJobSpec.Load(split).KeepLayers!);
    }

    [Fact]
    public void AStudentOfAPresetShapeTrainsOnTheTeachersVocabulary()
    {
        string output = Path.Combine(_folder, "preset");
        var spec = Spec(output, Teacher(), Corpus()) with
        {
            InitFromTeacher = false,
            KeepLayers = null,
            Shape = new LlamaShape(16, 1, 2, 2, 32, 64),
            Steps = 2,
        };
        var result = Run(spec);
        Assert.True(result.Completed, result.Failure);
        using var file = GgufFile.Open(result.ModelPath!);
        Assert.Equal(16u, file.GetUInt32("llama.embedding_length"));
        Assert.Equal(320, file.GetStringArray("tokenizer.ggml.tokens")!.Length);
    }

    [Fact]
    public void AStudentGgufOfAnotherVocabularyIsAOneLineError()
    {
        string teacher = Teacher(), other = Teacher(vocab: 300, name: "other.gguf");
        var spec = Spec(Path.Combine(_folder, "bad"), teacher, Corpus()) with { InitFromTeacher = false, KeepLayers = null, BaseModel = other };
        var e = Assert.Throws<ArgumentException>(() => TrainingJob.Prepare(spec));
        Assert.Equal("other.gguf: expected the teacher's vocabulary (teacher.gguf, 320 tokens), found 300 tokens; a student must share its teacher's tokenizer",
            e.Message);
    }

    [Fact]
    public void AStudentGgufWithTheTeachersVocabularyStartsFromItsWeights()
    {
        string teacher = Teacher(), student = Path.Combine(_folder, "student.gguf");
        SyntheticModelWriter.Write(student, new SyntheticModelOptions
        {
            Dim = 16, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 32, VocabSize = 320, ContextLength = 64, Seed = 9,
        });
        var spec = Spec(Path.Combine(_folder, "from-gguf"), teacher, Corpus()) with
        {
            InitFromTeacher = false,
            KeepLayers = null,
            BaseModel = student,
            Steps = 2,
        };
        var result = Run(spec);
        Assert.True(result.Completed, result.Failure);
        using var file = GgufFile.Open(result.ModelPath!);
        Assert.Equal(1u, file.GetUInt32("llama.block_count"));
    }

    [Fact]
    public void NeedsExactlyOneStudent()
    {
        var spec = Spec(Path.Combine(_folder, "two"), Teacher(), Corpus()) with { Shape = LlamaShape.Preset("tiny") };
        var e = Assert.Throws<ArgumentException>(() => TrainingJob.Prepare(spec));
        Assert.Contains("distill needs one student", e.Message);
    }
}
