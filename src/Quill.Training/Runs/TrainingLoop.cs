// One training run's optimisation: sampling micro-batches, accumulation, clipping, schedule, AdamW, and its saved state.
using System.Runtime.InteropServices;
using System.Text;
using Quill.Training.Data;
using Quill.Training.Optimization;

namespace Quill.Training.Runs;

/// <summary>
/// Each <see cref="RunStep"/> takes <see cref="TrainingLoopOptions.GradientAccumulation"/> micro-batches from a seeded
/// sampler (a fresh order each epoch), averages their gradients, clips them by global norm, sets the warm-up/cosine rate
/// and steps AdamW. A NaN or infinite loss or gradient throws <see cref="NonFiniteLossException"/> before any weight
/// changes. <see cref="SaveState"/> captures weights, optimizer moments and the data position, so a loop restored with
/// <see cref="LoadState"/> continues bit-identically (same thread count).
/// </summary>
public sealed class TrainingLoop
{
    private const uint Magic = 0x53525451; // "QTRS"
    private const int Version = 1;
    private const int MaxNameBytes = 1024;

    private readonly ITrainingObjective _objective;
    private readonly BatchSampler _sampler;
    private readonly GradientAccumulation _accumulation;
    private readonly LearningRateSchedule _schedule;
    private int[][] _epochBatches = [];
    private int _cachedEpoch = -1;

    /// <param name="objective"></param>

    /// <param name="options"></param>    /// <param name="dataSource">Names the training data in errors (e.g. too few examples for one batch).</param>
    public TrainingLoop(ITrainingObjective objective, TrainingLoopOptions options, string dataSource = "the training data")
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _objective = objective;
        Options = options;
        var lengths = new ObjectiveLengths(objective, dataSource);
        _sampler = options.UniformLengthBatches
            ? new UniformLengthSampler(lengths, options.BatchSize, options.Seed)
            : new ShuffledSampler(lengths, options.BatchSize, options.Seed);
        _accumulation = new GradientAccumulation(objective.Parameters, options.GradientAccumulation);
        _schedule = new WarmupCosineSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps,
            Math.Min(options.MinimumLearningRate, options.LearningRate));
        Optimizer = new AdamW(objective.Parameters, options.LearningRate, options.Beta1, options.Beta2, 1e-8f, options.WeightDecay);
    }

    public TrainingLoopOptions Options { get; }
    public AdamW Optimizer { get; }
    public TrainingPosition Position { get; private set; }
    public bool IsFinished => Position.Step >= Options.Steps;

    /// <summary>Micro-batches in one pass over the training examples.</summary>
    public int BatchesPerEpoch => _sampler.BatchesPerEpoch;

    /// <summary>The rate step <paramref name="step"/> (1-based) uses: warm-up reaches the peak at step W.</summary>
    public float LearningRateAt(long step) => _schedule.At(step);

    /// <summary>One optimizer step over the next micro-batches.</summary>
    public StepResult RunStep()
    {
        long step = Position.Step + 1;
        var parameters = _objective.Parameters;
        parameters.ZeroGrad();
        double lossSum = 0;
        long tokens = 0;
        for (int k = 0; k < Options.GradientAccumulation; k++)
        {
            var result = _objective.Train(NextMicroBatch());
            if (!float.IsFinite(result.Loss)) throw new NonFiniteLossException(step, "loss", result.Loss);
            lossSum += result.Loss;
            tokens += result.Tokens;
            _accumulation.EndMicroBatch();
        }
        double norm = Options.ClipNorm > 0 ? GradientClipping.ClipByGlobalNorm(parameters, Options.ClipNorm) : parameters.GlobalGradNorm();
        if (!double.IsFinite(norm)) throw new NonFiniteLossException(step, "gradient norm", norm);
        float rate = _schedule.At(step);
        Optimizer.Step(rate);
        Position = Position with { Step = step };
        return new StepResult(step, (float)(lossSum / Options.GradientAccumulation), rate, norm, tokens);
    }

    /// <summary>Mean validation loss (token-weighted over micro-batches) in a fixed order; 0 batches means the whole split.</summary>
    public float Evaluate()
    {
        int count = _objective.ValidationExampleCount;
        if (count == 0) return float.NaN;
        int batches = (count + Options.BatchSize - 1) / Options.BatchSize;
        if (Options.EvaluationBatches > 0) batches = Math.Min(batches, Options.EvaluationBatches);
        double sum = 0;
        long weight = 0;
        var indices = new int[Options.BatchSize];
        for (int b = 0; b < batches; b++)
        {
            int start = b * Options.BatchSize, n = Math.Min(Options.BatchSize, count - start);
            for (int i = 0; i < n; i++) indices[i] = start + i;
            var r = _objective.Evaluate(indices.AsSpan(0, n));
            sum += (double)r.Loss * r.Tokens;
            weight += r.Tokens;
        }
        return weight == 0 ? float.NaN : (float)(sum / weight);
    }

    private int[] NextMicroBatch()
    {
        var p = Position;
        if (p.BatchInEpoch >= _sampler.BatchesPerEpoch) p = p with { Epoch = p.Epoch + 1, BatchInEpoch = 0 };
        if (_cachedEpoch != p.Epoch)
        {
            _epochBatches = [.. _sampler.Batches(p.Epoch)];
            _cachedEpoch = p.Epoch;
        }
        var batch = _epochBatches[p.BatchInEpoch];
        Position = p with { BatchInEpoch = p.BatchInEpoch + 1 };
        return batch;
    }

    /// <summary>Writes the position, every parameter's values and the optimizer state.</summary>
    public void SaveState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(Position.Step);
            w.Write(Position.Epoch);
            w.Write(Position.BatchInEpoch);
            var parameters = _objective.Parameters;
            w.Write(parameters.Count);
            foreach (var p in parameters.Parameters)
            {
                StateReader.WriteParameterHeader(w, p);
                w.Write(MemoryMarshal.AsBytes(p.Value.AsSpan()));
            }
        }
        Optimizer.Save(stream);
    }

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote for the same parameters (names and lengths checked); a malformed or
    /// mismatched stream throws a one-line InvalidDataException naming <paramref name="source"/> and changes nothing.
    /// </summary>
    public void LoadState(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var parameters = _objective.Parameters;
        var r = new StateReader(stream, source);
        if (r.ReadUInt32("magic") != Magic) r.Fail("a training state (magic \"QTRS\")", 0);
        int version = r.ReadInt32("version");
        if (version != Version) r.Fail($"training state version {Version}, found {version}", 4);
        long step = r.ReadInt64("step");
        int epoch = r.ReadInt32("epoch"), batch = r.ReadInt32("batch");
        if (step < 0 || epoch < 0 || batch < 0) r.Fail($"a non-negative position, found step {step}, epoch {epoch}, batch {batch}", 8);
        var position = new TrainingPosition(step, epoch, batch);
        r.ReadParameterCount(parameters);
        var values = new float[parameters.Count][];
        for (int i = 0; i < values.Length; i++)
        {
            var p = parameters[i];
            r.ReadParameterHeader(p, i, MaxNameBytes);
            values[i] = r.ReadFloats(p.Length, $"the values of '{p.Name}'");
        }
        try
        {
            Optimizer.Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        for (int i = 0; i < values.Length; i++) values[i].CopyTo(parameters[i].Value, 0);
        Position = position;
    }

    private sealed class ObjectiveLengths(ITrainingObjective objective, string source) : IExampleLengths
    {
        public string Source => source;
        public int Count => objective.TrainingExampleCount;
        public int LengthOf(int index) => objective.TrainingLengthOf(index);
    }
}
