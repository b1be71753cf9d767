// Builds a run from its spec: tokenizer (learned or given), datasets and splits, the model, objective and loop.
using Quill.Formats.Gguf;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tokenizers.Conversion;
using Quill.Tokenizers.HuggingFace;
using Quill.Tokenizers.Training;
using Quill.Training.Data;
using Quill.Training.Distillation;
using Quill.Training.Model;

namespace Quill.Training.Runs;

/// <summary>
/// A prepared run: <see cref="Loop"/> ready to step (or to load a checkpoint into), the model it trains, and the GGUF
/// whose tokenizer keys the written model.gguf carries. Pre-training learns a BPE into OUT_DIR/tokenizer first unless
/// one is named (or one from an earlier run of the same folder is there).
/// </summary>
public sealed class TrainingJob
{
    private TrainingJob(TrainingJobSpec spec, LlamaTrainingModel model, ITrainingObjective objective, TrainingLoop loop, string tokenizerGguf)
    {
        Spec = spec;
        Model = model;
        Objective = objective;
        Loop = loop;
        TokenizerGguf = tokenizerGguf;
    }

    /// <summary>The spec with derived values filled in (steps from epochs).</summary>
    public TrainingJobSpec Spec { get; }
    public LlamaTrainingModel Model { get; }
    public ITrainingObjective Objective { get; }
    public TrainingLoop Loop { get; }
    public string TokenizerGguf { get; }

    /// <summary>Builds the run; <paramref name="log"/> receives one line per stage (tokenizer, data, model).</summary>
    public static TrainingJob Prepare(TrainingJobSpec spec, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        log ??= _ => { };
        foreach (string file in spec.Data)
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: expected a data file, found no such file", file);
        Directory.CreateDirectory(spec.OutputDir);
        var options = new TrainingModelOptions { Threads = spec.Threads, Precision = spec.Precision };
        return spec.Kind switch
        {
            "train" => PreparePretraining(spec, options, log),
            "finetune" => PrepareFinetuning(spec, options, log),
            "dpo" => PreparePreference(spec, options, log),
            "distill" => PrepareDistillation(spec, options, log),
            _ => throw new ArgumentException($"unknown training kind '{spec.Kind}' (expected train, finetune, dpo or distill)"),
        };
    }

    private static TrainingJob PreparePretraining(TrainingJobSpec spec, TrainingModelOptions options, Action<string> log)
    {
        var shape = spec.Shape ?? throw new ArgumentException("pre-training needs a model shape (--preset or --config)");
        var (tokenizer, tokenizerGguf) = PretrainingTokenizer(spec, log);
        var (train, validation) = PackedText(spec, tokenizer, log);
        var model = new LlamaTrainingModel(shape.ToConfig(tokenizer.VocabSize, Math.Max(shape.ContextLength, spec.SequenceLength)), options);
        model.InitializeRandom(spec.Seed);
        log($"model: llama {shape.Dim}×{shape.Layers}, {shape.Heads} heads, ffn {shape.FeedForwardDim}, vocab {tokenizer.VocabSize:N0}: " +
            $"{model.BaseParameterCount:N0} parameters");
        var objective = new LanguageModelObjective(model, train, validation, tokenizer.EosId);
        return Finish(spec, model, objective, tokenizerGguf);
    }

    private static TrainingJob PrepareFinetuning(TrainingJobSpec spec, TrainingModelOptions options, Action<string> log)
    {
        var (basePath, tokenizer, template) = BaseModel(spec);
        var all = InstructionDataset.Load(spec.Data[0], tokenizer, template, spec.SequenceLength, spec.Strict);
        log($"data: {all.Report}");
        var (train, validation) = ExampleSubset.SplitEveryKth(all, HeldOutEvery(spec));
        var model = PolicyModel(spec, basePath, options, log);
        var objective = new LanguageModelObjective(model, train, validation, tokenizer.EosId);
        return Finish(spec, model, objective, basePath);
    }

    private static TrainingJob PreparePreference(TrainingJobSpec spec, TrainingModelOptions options, Action<string> log)
    {
        var (basePath, tokenizer, template) = BaseModel(spec);
        var pairs = Preference.PreferenceDataset.Load(spec.Data[0], tokenizer, template, spec.SequenceLength, spec.Strict);
        log($"data: {pairs.Report}");
        var (train, validation) = pairs.SplitEveryKth(HeldOutEvery(spec));
        var policy = PolicyModel(spec, basePath, options, log);
        var reference = LlamaTrainingGguf.Load(basePath, options);
        var objective = new Preference.DpoObjective(policy, reference, train, validation, spec.DpoBeta, tokenizer.EosId);
        return Finish(spec, policy, objective, basePath);
    }

    /// <summary>
    /// The teacher's tokenizer packs the text as pre-training does (same blocks, same held-out tail); the student is a new
    /// model of a shape, a GGUF with the teacher's vocabulary, or the teacher's kept blocks.
    /// </summary>
    private static TrainingJob PrepareDistillation(TrainingJobSpec spec, TrainingModelOptions options, Action<string> log)
    {
        string teacherPath = spec.Teacher ?? throw new ArgumentException("distill needs a teacher (--teacher TEACHER.gguf)");
        if (!File.Exists(teacherPath)) throw new FileNotFoundException($"{teacherPath}: expected the teacher GGUF, found no such file", teacherPath);
        int starts = (spec.Shape is null ? 0 : 1) + (spec.BaseModel is null ? 0 : 1) + (spec.InitFromTeacher ? 1 : 0);
        if (starts != 1)
            throw new ArgumentException($"distill needs one student (--preset, --config, --student S.gguf or --init-from-teacher), found {starts}");
        if (spec.BaseModel is { } given)
        {
            if (!File.Exists(given)) throw new FileNotFoundException($"{given}: expected the student GGUF, found no such file", given);
            DistillationStudent.RequireTeacherVocabulary(given, teacherPath);
        }
        ITokenizer tokenizer;
        using (var file = GgufFile.Open(teacherPath)) tokenizer = GgufTokenizerLoader.Load(file);
        var (train, validation) = PackedText(spec, tokenizer, log);
        var teacher = LlamaTrainingGguf.Load(teacherPath, options);
        if (spec.SequenceLength > teacher.Config.ContextLength)
            throw new ArgumentException($"--seq-len {spec.SequenceLength} is longer than the teacher {Path.GetFileName(teacherPath)}'s context of " +
                $"{teacher.Config.ContextLength}");
        log($"teacher: {Path.GetFileName(teacherPath)}, llama {teacher.Config.Dim}×{teacher.Config.Layers}, {teacher.BaseParameterCount:N0} parameters");
        LlamaTrainingModel student;
        string origin;
        if (spec.InitFromTeacher)
        {
            int[] keep = spec.KeepLayers ?? DistillationStudent.EveryOtherLayer(teacher.Config.Layers);
            student = DistillationStudent.FromTeacher(teacher, keep, options);
            origin = $"the teacher's blocks {string.Join(",", keep)}";
        }
        else if (spec.BaseModel is { } path)
        {
            student = PolicyModel(spec with { LoraRank = 0 }, path, options, _ => { });
            origin = Path.GetFileName(path);
        }
        else
        {
            var shape = spec.Shape!;
            student = new LlamaTrainingModel(shape.ToConfig(teacher.Config.VocabSize, Math.Max(shape.ContextLength, spec.SequenceLength)), options);
            student.InitializeRandom(spec.Seed);
            origin = "random weights";
        }
        log($"student: llama {student.Config.Dim}×{student.Config.Layers}, {student.Config.Heads} heads, ffn {student.Config.FeedForwardDim}, " +
            $"{student.BaseParameterCount:N0} parameters, from {origin}; T {spec.DistillTemperature}, alpha {spec.DistillAlpha}");
        var objective = new DistillationObjective(student, teacher, train, validation, spec.DistillTemperature, spec.DistillAlpha,
            tokenizer.EosId);
        return Finish(spec, student, objective, teacherPath);
    }

    /// <summary>The data files packed into blocks of --seq-len, the last --val-fraction of them held out.</summary>
    private static (PackedTextDataset Train, PackedTextDataset? Validation) PackedText(TrainingJobSpec spec, ITokenizer tokenizer, Action<string> log)
    {
        var all = PackedTextDataset.FromFiles(spec.Data, tokenizer, spec.SequenceLength);
        var (train, validation) = spec.ValidationFraction > 0 && all.Count >= 2 ? all.SplitTail(spec.ValidationFraction) : (all, null);
        log($"data: {all.Tokens.Length:N0} tokens in {all.Count:N0} blocks of {spec.SequenceLength} ({train.Count:N0} training, {validation?.Count
            ?? 0:N0} validation)");
        return (train, validation);
    }

    /// <summary>k for holding out every k-th example: 1 / the validation fraction, 0 for none.</summary>
    private static int HeldOutEvery(TrainingJobSpec spec) => spec.ValidationFraction > 0 ? (int)Math.Round(1 / spec.ValidationFraction) : 0;

    private static (string Path, ITokenizer Tokenizer, ChatTemplate Template) BaseModel(TrainingJobSpec spec)
    {
        string basePath = spec.BaseModel ?? throw new ArgumentException($"{spec.Kind} needs a base model (-m MODEL.gguf)");
        if (!File.Exists(basePath)) throw new FileNotFoundException($"{basePath}: expected a GGUF model, found no such file", basePath);
        if (spec.Data.Length != 1) throw new ArgumentException($"{spec.Kind} takes one JSONL file (--data), found {spec.Data.Length}");
        using var file = GgufFile.Open(basePath);
        var tokenizer = GgufTokenizerLoader.Load(file);
        ChatTemplate? given = spec.ChatTemplate is { } source ? OwnTemplate(source, file, tokenizer) : null;
        return (basePath, tokenizer, given ?? ChatTemplate.FromGguf(file) ?? ChatTemplate.Fallback(tokenizer));
    }

    /// <summary>The --chat-template source with the base model's BOS/EOS texts (templates write eos_token to end a turn).</summary>
    private static ChatTemplate OwnTemplate(string source, GgufFile file, ITokenizer tokenizer)
    {
        ChatTemplate template = ChatTemplate.Parse(source, "--chat-template");
        ChatTemplate? fromFile = ChatTemplate.FromGguf(file);
        return template.WithSpecialTokens(
            fromFile?.BosToken ?? (tokenizer.BosId >= 0 ? tokenizer.TokenText(tokenizer.BosId) : null),
            fromFile?.EosToken ?? (tokenizer.EosId >= 0 ? tokenizer.TokenText(tokenizer.EosId) : null));
    }

    private static LlamaTrainingModel PolicyModel(TrainingJobSpec spec, string basePath, TrainingModelOptions options, Action<string> log)
    {
        var model = LlamaTrainingGguf.Load(basePath, options);
        if (spec.SequenceLength > model.Config.ContextLength)
            throw new ArgumentException($"--seq-len {spec.SequenceLength} is longer than {Path.GetFileName(basePath)}'s context of " +
                $"{model.Config.ContextLength}");
        if (spec.LoraRank > 0) model.AttachLora(spec.LoraRank, spec.LoraAlpha, spec.LoraTargets, spec.Seed);
        log($"model: {Path.GetFileName(basePath)}, {model.BaseParameterCount:N0} parameters, training " +
            (spec.LoraRank > 0 ? $"LoRA rank {spec.LoraRank} on {string.Join(",",
                spec.LoraTargets)}: {model.Parameters.ElementCount:N0} parameters" : "every weight"));
        return model;
    }

    private static TrainingJob Finish(TrainingJobSpec spec, LlamaTrainingModel model, ITrainingObjective objective, string tokenizerGguf)
    {
        long steps = spec.Steps ?? StepsFor(spec, objective);
        spec = spec with { Steps = steps };
        var loop = new TrainingLoop(objective, new TrainingLoopOptions
        {
            Steps = steps,
            BatchSize = spec.BatchSize,
            GradientAccumulation = spec.GradientAccumulation,
            LearningRate = spec.LearningRate,
            MinimumLearningRate = spec.MinimumLearningRate ?? spec.LearningRate / 10,
            WarmupSteps = spec.WarmupSteps,
            WeightDecay = spec.WeightDecay,
            ClipNorm = spec.ClipNorm,
            Seed = spec.Seed,
            UniformLengthBatches = spec.UniformLengthBatches,
            EvaluationBatches = spec.EvaluationBatches,
        }, string.Join(", ", spec.Data.Select(Path.GetFileName)) + " (training split)");
        return new TrainingJob(spec, model, objective, loop, tokenizerGguf);
    }

    private static long StepsFor(TrainingJobSpec spec, ITrainingObjective objective)
    {
        double epochs = spec.Epochs ?? 1;
        if (!(epochs > 0)) throw new ArgumentException($"epochs must be positive, found {epochs}");
        int batchesPerEpoch = (objective.TrainingExampleCount + spec.BatchSize - 1) / spec.BatchSize;
        return Math.Max(1, (long)Math.Ceiling(epochs * batchesPerEpoch / spec.GradientAccumulation));
    }

    private static (ITokenizer Tokenizer, string Gguf) PretrainingTokenizer(TrainingJobSpec spec, Action<string> log)
    {
        string folder = Path.Combine(spec.OutputDir, "tokenizer");
        if (spec.Tokenizer is { } given)
        {
            var tokenizer = TokenizerCatalog.Load(given);
            if (Path.GetExtension(given).Equals(".gguf", StringComparison.OrdinalIgnoreCase)) return (tokenizer, given);
            string json = Directory.Exists(given) ? Path.Combine(given, "tokenizer.json") : given;
            string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(json))!, "tokenizer_config.json");
            Directory.CreateDirectory(folder);
            string gguf = Path.Combine(folder, "tokenizer.gguf");
            TokenizerJsonToGguf.WriteVocabOnlyGguf(json, gguf, File.Exists(config) ? config : null);
            log($"tokenizer: {given}, {tokenizer.VocabSize:N0} tokens");
            return (tokenizer, gguf);
        }
        string learned = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(learned) && File.Exists(Path.Combine(folder, "tokenizer.gguf")))
        {
            var tokenizer = TokenizerJsonLoader.Load(learned, Path.Combine(folder, "tokenizer_config.json"));
            log($"tokenizer: {learned} (learned earlier), {tokenizer.VocabSize:N0} tokens");
            return (tokenizer, Path.Combine(folder, "tokenizer.gguf"));
        }
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabularySize = spec.Vocab });
        foreach (string file in spec.Data) trainer.AddFile(file);
        if (trainer.TotalWords == 0) throw new InvalidDataException($"{string.Join(", ", spec.Data)}: expected text to learn a tokenizer from, found no words");
        var trained = trainer.Train();
        var files = trained.WriteFiles(folder);
        log($"tokenizer: learned a byte-level BPE of {trained.Tokens.Count:N0} tokens into {folder}");
        return (TokenizerJsonLoader.Load(files.TokenizerJson, files.TokenizerConfig), files.Gguf);
    }
}
