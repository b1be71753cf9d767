// Direct Preference Optimization as a training objective: a trainable policy against a frozen reference.
using Quill.Training.Data;
using Quill.Training.Layers;
using Quill.Training.Model;
using Quill.Training.Optimization;
using Quill.Training.Runs;

namespace Quill.Training.Preference;

/// <summary>
/// Example i of the objective is preference pair i. A micro-batch of n pairs is one padded batch of 2n rows (the n
/// chosen sequences, then the n rejected ones). The reference model's answer log-probabilities are computed once per
/// pair over the whole run and cached (it is frozen: nothing here writes its weights or gradients); the policy's are
/// computed every time. Loss and gradients are <see cref="DpoLoss"/>'s mean over the micro-batch's pairs.
/// </summary>
public sealed class DpoObjective : ITrainingObjective
{
    public const float DefaultBeta = 0.1f;

    private readonly ReferenceCache _trainReference, _validationReference;
    private readonly DynamicPaddingBatcher _batcher;
    private float[] _dLogits = [];

    /// <param name="policy">The model being trained (all weights, or LoRA adapters once attached).</param>
    /// <param name="reference">A separate model of the same shape, e.g. loaded again from the same GGUF; only read.</param>
    /// <param name="train"></param>
    /// <param name="validation"></param>
    /// <param name="beta"></param>
    /// <param name="padId">Input id of padding; any valid id, since padding follows the real tokens and takes no loss.</param>
    public DpoObjective(LlamaTrainingModel policy, LlamaTrainingModel reference, PreferenceDataset train,
        PreferenceDataset? validation = null, float beta = DefaultBeta, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(train);
        if (ReferenceEquals(policy, reference)) throw new ArgumentException("DPO needs a separate reference model; the policy was passed as its own reference");
        if (policy.Config.VocabSize != reference.Config.VocabSize || policy.Config.Dim != reference.Config.Dim
            || policy.Config.Layers != reference.Config.Layers)
            throw new ArgumentException($"DPO reference model: expected the policy's shape (vocab {policy.Config.VocabSize}, dim {policy.Config.Dim}, " +
                $"{policy.Config.Layers} layers), found vocab {reference.Config.VocabSize}, dim {reference.Config.Dim}, {reference.Config.Layers} layers");
        if (!(beta > 0) || float.IsInfinity(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be a positive finite number");
        ArgumentOutOfRangeException.ThrowIfNegative(padId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(padId, policy.Config.VocabSize);
        Policy = policy;
        Reference = reference;
        TrainingData = train;
        ValidationData = validation;
        Beta = beta;
        _batcher = new DynamicPaddingBatcher(padId);
        _trainReference = new ReferenceCache(train.Count);
        _validationReference = new ReferenceCache(validation?.Count ?? 0);
    }

    public LlamaTrainingModel Policy { get; }

    public LlamaTrainingModel Reference { get; }

    public PreferenceDataset TrainingData { get; }

    public PreferenceDataset? ValidationData { get; }

    /// <summary>β, the strength of the implicit KL penalty towards the reference.</summary>
    public float Beta { get; }

    /// <summary>The policy's trainable parameters (read each time: attaching LoRA replaces them).</summary>
    public ParameterSet Parameters => Policy.Parameters;

    public int TrainingExampleCount => TrainingData.Count;

    public int ValidationExampleCount => ValidationData?.Count ?? 0;

    /// <summary>Reference forwards run so far (each over the pairs not yet cached); for tests and logs.</summary>
    public int ReferenceForwardCount { get; private set; }

    /// <summary>What the last <see cref="Train"/> or <see cref="Evaluate"/> measured.</summary>
    public DpoStatistics LastStatistics { get; private set; }

    /// <summary>Fraction of the last micro-batch's pairs whose chosen reward beat the rejected one.</summary>
    public float LastRewardAccuracy => LastStatistics.RewardAccuracy;

    /// <summary>Mean chosen − rejected reward of the last micro-batch.</summary>
    public float LastRewardMargin => LastStatistics.RewardMargin;

    public int TrainingLengthOf(int index) => TrainingData.LengthOf(index);

    public MicroBatchResult Train(ReadOnlySpan<int> indices) => Run(TrainingData, _trainReference, indices, backward: true);

    public MicroBatchResult Evaluate(ReadOnlySpan<int> indices)
    {
        if (ValidationData is null) throw new InvalidOperationException("DPO evaluation needs a validation dataset");
        return Run(ValidationData, _validationReference, indices, backward: false);
    }

    private MicroBatchResult Run(PreferenceDataset data, ReferenceCache cache, ReadOnlySpan<int> indices, bool backward)
    {
        int n = indices.Length;
        ArgumentOutOfRangeException.ThrowIfZero(n);
        foreach (int i in indices) ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)data.Count, nameof(indices));
        FillReference(data, cache, indices);
        var referenceChosen = new double[n];
        var referenceRejected = new double[n];
        for (int i = 0; i < n; i++) (referenceChosen[i], referenceRejected[i]) = (cache.Chosen[indices[i]], cache.Rejected[indices[i]]);

        Batch batch = Collate(data, indices);
        int vocab = Policy.Config.VocabSize;
        ReadOnlySpan<float> logits = Policy.ForwardLogits(batch);
        Span<float> softmax = backward ? LayerShape.Slice(ref _dLogits, logits.Length) : default;
        var sums = new double[2 * n];
        AnswerLogProbabilities.Forward(logits, batch.Targets, vocab, sums, softmax, Policy.Pool);

        var chosenGradient = new double[n];
        LastStatistics = DpoLoss.Forward(sums.AsSpan(0, n), sums.AsSpan(n), referenceChosen, referenceRejected, Beta, chosenGradient);
        if (backward)
        {
            // d log π / d logits = onehot − softmax, so dL/dlogits = (dL/dπ)·(onehot − softmax): the row's coefficient
            // is dL/dπ, and dL/dπ_r = −dL/dπ_c.
            var coefficients = new double[2 * n];
            for (int i = 0; i < n; i++)
            {
                coefficients[i] = chosenGradient[i];
                coefficients[n + i] = -chosenGradient[i];
            }
            AnswerLogProbabilities.Backward(softmax, batch.Targets, vocab, coefficients, Policy.Pool);
            Policy.BackwardLogits(softmax);
        }
        return new MicroBatchResult(LastStatistics.Loss, batch.Lengths.Sum());
    }

    /// <summary>Runs the reference over the pairs among <paramref name="indices"/> whose log-probabilities are not cached.</summary>
    private void FillReference(PreferenceDataset data, ReferenceCache cache, ReadOnlySpan<int> indices)
    {
        var missing = new List<int>();
        foreach (int i in indices)
            if (!cache.Has(i) && !missing.Contains(i)) missing.Add(i);
        if (missing.Count == 0) return;
        Batch batch = Collate(data, [.. missing]);
        var sums = new double[2 * missing.Count];
        AnswerLogProbabilities.Forward(Reference.ForwardLogits(batch), batch.Targets, Reference.Config.VocabSize, sums, default, Reference.Pool);
        ReferenceForwardCount++;
        for (int k = 0; k < missing.Count; k++)
        {
            cache.Chosen[missing[k]] = sums[k];
            cache.Rejected[missing[k]] = sums[missing.Count + k];
        }
    }

    /// <summary>Rows 0..n−1 are the chosen sequences of the pairs, rows n..2n−1 the rejected ones, in order.</summary>
    private Batch Collate(PreferenceDataset data, ReadOnlySpan<int> indices)
    {
        var examples = new TrainingExample[2 * indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            PreferencePair pair = data[indices[i]];
            examples[i] = pair.Chosen;
            examples[indices.Length + i] = pair.Rejected;
        }
        return _batcher.Collate(examples);
    }


    /// <summary>Summed answer log-probabilities of each pair under the reference; NaN until computed.</summary>
    private sealed class ReferenceCache
    {
        public ReferenceCache(int count)
        {
            Chosen = new double[count];
            Rejected = new double[count];
            Chosen.AsSpan().Fill(double.NaN);
            Rejected.AsSpan().Fill(double.NaN);
        }

        public double[] Chosen { get; }
        public double[] Rejected { get; }

        public bool Has(int index) => !double.IsNaN(Chosen[index]);
    }
}
