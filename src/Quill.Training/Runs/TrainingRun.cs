// Drives a prepared job to its end: steps, evaluation, metrics.jsonl, the loss curve, checkpoints, resume and outputs.
using System.Diagnostics;
using Quill.Formats.Gguf;
using Quill.Training.Checkpoints;
using Quill.Training.Model;
using Quill.Training.Reporting;

namespace Quill.Training.Runs;

/// <summary>
/// Writes into the job's OUT_DIR: run.json (the spec, for --resume), metrics.jsonl, loss.png, checkpoints/ (every
/// CheckpointEvery steps and at the end, atomically, the last K kept) and, when every step has run, model.gguf (and
/// adapter.gguf for LoRA). A NaN or infinite loss stops the run before the weights change and leaves the last good
/// checkpoint; a cancellation writes a checkpoint of the current step first.
/// </summary>
public sealed class TrainingRun(TrainingJob job)
{
    public const string ModelFile = "model.gguf", AdapterFile = "adapter.gguf", MetricsFile = "metrics.jsonl", LossCurveFile = "loss.png";

    /// <summary>metrics.jsonl's names of a distillation's two loss terms (<c>loss</c> = alpha·kd_loss + (1 − alpha)·ce_loss).</summary>
    public const string KdLossName = "kd_loss", CeLossName = "ce_loss";

    public TrainingJob Job { get; } = job;
    private string Out => Job.Spec.OutputDir;

    /// <summary>
    /// Runs from the start, or from the newest valid checkpoint when <paramref name="resume"/>. A fresh run refuses a
    /// folder that already holds checkpoints, so nothing is overwritten by accident.
    /// </summary>
    /// <param name="resume"></param>
    /// <param name="progress"></param>
    /// <param name="log"></param>
    /// <param name="cancellation"></param>
    /// <param name="stopAfterStep">Pause after this step (checkpoint written), to continue later with resume.</param>
    public TrainingRunResult Run(bool resume, IProgress<TrainingProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancellation = default, long? stopAfterStep = null)
    {
        log ??= _ => { };
        var spec = Job.Spec;
        var loop = Job.Loop;
        var store = new CheckpointStore(Path.Combine(Out, "checkpoints"), spec.KeepCheckpoints);
        string metricsPath = Path.Combine(Out, MetricsFile), plotPath = Path.Combine(Out, LossCurveFile);
        if (resume)
        {
            if (store.TryOpenLatest(out long step, out Stream? payload))
            {
                using (payload) loop.LoadState(payload, Path.Combine(Out, "checkpoints", $"step {step}"));
                log($"resumed at step {step} of {spec.Steps}");
            }
            else log("no checkpoint to resume from: starting at step 0");
        }
        else if (store.Steps().Count > 0)
        {
            throw new InvalidOperationException($"{Out}: expected an empty output folder, found checkpoints of an earlier run (use --resume {Out} to " +
                $"continue it, or another folder)");
        }
        spec.Save(Out);
        var metrics = MetricsLog.Open(metricsPath, resumeAfterStep: loop.Position.Step);
        var trainCurve = new List<(long, double)>();
        var validationCurve = new List<(long, double)>();
        foreach (var r in MetricsLog.Read(metricsPath))
        {
            trainCurve.Add((r.Step, r.Loss));
            if (r.ValidationLoss is double v) validationCurve.Add((r.Step, v));
        }

        var clock = Stopwatch.StartNew();
        long startStep = loop.Position.Step, windowSteps = 0;
        double windowLoss = 0;
        var throughput = new ThroughputMeter(); // training steps only: evaluation and checkpoints are not in tokens/s
        float? lastValidation = null;
        string? failure = null;
        bool paused = false;
        try
        {
            using (metrics)
            {
                while (!loop.IsFinished)
                {
                    if (cancellation.IsCancellationRequested || loop.Position.Step >= stopAfterStep)
                    {
                        paused = true;
                        break;
                    }
                    double stepStart = clock.Elapsed.TotalSeconds;
                    var result = loop.RunStep();
                    throughput.Add(result.Tokens, clock.Elapsed.TotalSeconds - stepStart);
                    windowLoss += result.Loss;
                    windowSteps++;
                    long s = result.Step;
                    bool last = loop.IsFinished;
                    float? validation = null;
                    if ((spec.EvaluateEvery > 0 && s % spec.EvaluateEvery == 0) || last)
                    {
                        float v = loop.Evaluate();
                        if (float.IsFinite(v)) validation = lastValidation = v;
                    }
                    if (s % Math.Max(1, spec.LogEvery) == 0 || last || validation is not null)
                    {
                        double tokensPerSecond = throughput.TokensPerSecond;
                        float loss = (float)(windowLoss / windowSteps);
                        var extra = Extra(result);
                        metrics.Append(new MetricsRecord(s, loss, result.LearningRate, tokensPerSecond, validation, extra));
                        trainCurve.Add((s, loss));
                        if (validation is float vv) validationCurve.Add((s, vv));
                        double perStep = clock.Elapsed.TotalSeconds / Math.Max(1, s - startStep);
                        progress?.Report(new TrainingProgress(s, spec.Steps!.Value, loss, validation, result.LearningRate, tokensPerSecond,
                            clock.Elapsed, TimeSpan.FromSeconds(perStep * (spec.Steps.Value - s)), extra));
                        windowSteps = 0;
                        windowLoss = 0;
                    }
                    if ((spec.CheckpointEvery > 0 && s % spec.CheckpointEvery == 0) || last)
                    {
                        store.Save(s, loop.SaveState);
                        LossCurvePlot.Write(plotPath, trainCurve, validationCurve, Title());
                    }
                }
            }
        }
        catch (NonFiniteLossException e)
        {
            failure = e.Message;
        }

        if (paused && loop.Position.Step > 0 && !store.Steps().Contains(loop.Position.Step))
            store.Save(loop.Position.Step, loop.SaveState);
        LossCurvePlot.Write(plotPath, trainCurve, validationCurve, Title());
        var steps = store.Steps();
        string? lastCheckpoint = steps.Count == 0 ? null : store.PathOf(steps[^1]);
        if (failure is not null || paused)
            return new TrainingRunResult(false, paused, loop.Position.Step, failure, lastCheckpoint, null, null, lastValidation, plotPath, metricsPath);

        var (modelPath, adapterPath) = WriteOutputs();
        return new TrainingRunResult(true, false, loop.Position.Step, null, lastCheckpoint, modelPath, adapterPath, lastValidation, plotPath, metricsPath);
    }

    /// <summary>
    /// The gradient norm beside the standard fields, with DPO's reward accuracy and margin, or distillation's KD and
    /// cross-entropy terms (means over the same steps as the line's loss).
    /// </summary>
    private Dictionary<string, double> Extra(StepResult result)
    {
        var extra = new Dictionary<string, double> { ["grad_norm"] = result.GradientNorm };
        if (Job.Objective is Preference.DpoObjective dpo)
        {
            extra["reward_accuracy"] = dpo.LastRewardAccuracy;
            extra["reward_margin"] = dpo.LastRewardMargin;
        }
        if (Job.Objective is Distillation.DistillationObjective distillation && distillation.TakeTermMeans() is var (kd, ce))
        {
            extra[KdLossName] = kd;
            extra[CeLossName] = ce;
        }
        return extra;
    }

    private string Title() => $"quill {Job.Spec.Kind}: {Path.GetFileName(Path.GetFullPath(Out))}";

    /// <summary>model.gguf with any LoRA adapters folded in (and adapter.gguf beside it).</summary>
    private (string Model, string? Adapter) WriteOutputs()
    {
        var model = Job.Model;
        string modelPath = Path.Combine(Out, ModelFile);
        string? adapterPath = null;
        using var tokenizerSource = GgufFile.Open(Job.TokenizerGguf);
        if (model.HasLora)
        {
            adapterPath = Path.Combine(Out, AdapterFile);
            Lora.LoraAdapterFile.Save(model, adapterPath, tokenizerSource);
            foreach (var block in model.Blocks)
                foreach (var (_, p) in block.Projections())
                {
                    p.Lora?.MergeInto(p.Weight);
                    p.Lora = null;
                }
        }
        LlamaTrainingGguf.Save(model, modelPath, tokenizerSource, Job.Spec.ModelType, modelName: Job.Spec.Name ?? TrainingJobSpec.FolderName(Out),
            chatTemplate: Job.Spec.ChatTemplate);
        return (modelPath, adapterPath);
    }
}
