// Fine-tunes a BERT encoder with a logistic head to tell two classes of texts apart (the prompt-injection guard's encoder).
using System.Numerics.Tensors;
using Quill.Models.Bert;
using Quill.Tensors.Threading;
using Quill.Training.Model;
using Quill.Training.Optimization;

namespace Quill.Training.Classification;

/// <summary>How <see cref="EncoderClassifierTraining"/> tunes: which blocks, whole weights or adapters, how long, how fast.</summary>
/// <param name="Epochs">Passes over the texts.</param>
/// <param name="LearningRate">AdamW's rate for the encoder (the head learns at 1e-3).</param>
/// <param name="TrainableFrom">The lowest block that learns (0: every block).</param>
/// <param name="LoraRank">0: whole weights; otherwise adapters of this rank (alpha twice the rank) on every trainable projection.</param>
/// <param name="BatchSize">Texts per step, drawn from runs of similar length so a batch pads little.</param>
/// <param name="Threads">Compute threads.</param>
/// <param name="Seed">Shuffling and adapter initialisation.</param>
public sealed record EncoderClassifierOptions(int Epochs = 4, float LearningRate = 5e-5f, int TrainableFrom = 0, int LoraRank = 0, int BatchSize = 16,
    int Threads = 2, int Seed = 0)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first impossible option.</summary>
    public EncoderClassifierOptions Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "expected at least one epoch");
        if (!(LearningRate > 0 && float.IsFinite(LearningRate)))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "expected a positive learning rate");
        if (TrainableFrom < 0) throw new ArgumentOutOfRangeException(nameof(TrainableFrom), TrainableFrom, "expected a block index of 0 or more");
        if (LoraRank < 0) throw new ArgumentOutOfRangeException(nameof(LoraRank), LoraRank, "expected a rank of 0 (whole weights) or more");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "expected at least one text per batch");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "expected at least one thread");
        return this;
    }
}

/// <summary>
/// Fine-tunes an encoder so that a logistic head on its unit sentence vectors (logit = w·(10·v) + b; the 10 lets unit vectors
/// reach confident logits) separates two classes: weighted binary cross-entropy, AdamW, batches of similar length. The
/// caller reports progress and evaluates through <see cref="Probabilities"/> after each epoch. Deterministic for a seed and
/// thread count.
/// </summary>
public sealed class EncoderClassifierTraining : IDisposable
{
    /// <summary>The factor on the unit sentence vector before the head.</summary>
    public const float VectorScale = 10;
    private const int LengthRun = 256, ScoringBatch = 64;

    private readonly ComputePool _pool;
    private readonly ParameterSet _encoder, _head = new();
    private readonly AdamW _encoderOptimizer, _headOptimizer;
    private readonly Parameter _weight, _bias;
    private readonly Random _random;
    private readonly EncoderClassifierOptions _options;

    public EncoderClassifierTraining(BertCheckpoint checkpoint, EncoderClassifierOptions options)
    {
        _options = options.Validate();
        if (options.TrainableFrom > checkpoint.Config.Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TrainableFrom,
                $"TrainableFrom: expected a block from 0 to {checkpoint.Config.Layers} (the layer count: no block learns)");
        }
        _pool = new ComputePool(options.Threads);
        Model = new BertTrainingModel(checkpoint) { Pool = _pool, TrainableFrom = options.TrainableFrom };
        if (options.LoraRank > 0) Model.AttachLora(options.LoraRank, alpha: 2 * options.LoraRank, seed: (ulong)options.Seed + 1);
        _encoder = Model.Parameters();
        int dim = Model.Config.Dim;
        _weight = _head.Add("head.weight", new float[dim], new float[dim]);
        _bias = _head.Add("head.bias", new float[1], new float[1], decay: false);
        _encoderOptimizer = new AdamW(_encoder, options.LearningRate);
        _headOptimizer = new AdamW(_head, 1e-3f);
        _random = new Random(options.Seed);
    }

    /// <summary>The encoder being tuned; <see cref="BertTrainingModel.ToCheckpoint"/> gives its weights.</summary>
    public BertTrainingModel Model { get; }

    /// <summary>Values the encoder's optimizer moves.</summary>
    public long TunedValues => _encoder.ElementCount;

    /// <summary>The head: weights over 10 × the sentence vector, and the bias.</summary>
    public ReadOnlySpan<float> HeadWeights => _weight.Value;

    public float HeadBias => _bias.Value[0];

    /// <summary>
    /// One pass over <paramref name="texts"/> (token ids), each labelled by <paramref name="labels"/> and weighted by
    /// <paramref name="weights"/> (mean 1 keeps the learning rate's meaning); returns the weighted mean loss.
    /// </summary>
    public double TrainEpoch(IReadOnlyList<int[]> texts, IReadOnlyList<bool> labels, IReadOnlyList<double> weights)
    {
        if (labels.Count != texts.Count || weights.Count != texts.Count)
            throw new ArgumentException($"expected one label and one weight per text ({texts.Count}), found {labels.Count} and {weights.Count}");
        int dim = Model.Config.Dim;
        // Shuffle, sort runs by length so a batch pads little, then shuffle the batches.
        int[] order = [.. Enumerable.Range(0, texts.Count).OrderBy(_ => _random.Next())];
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += LengthRun)
        {
            int[] run = [.. order.Skip(start).Take(LengthRun).OrderBy(i => texts[i].Length)];
            for (int s = 0; s < run.Length; s += _options.BatchSize) batches.Add(run[s..Math.Min(s + _options.BatchSize, run.Length)]);
        }
        double loss = 0;
        var dVectors = new float[_options.BatchSize * dim];
        foreach (int[] batch in batches.OrderBy(_ => _random.Next()))
        {
            _encoder.ZeroGrad();
            _head.ZeroGrad();
            var vectors = Model.Forward([.. batch.Select(i => texts[i])]);
            for (int j = 0; j < batch.Length; j++)
            {
                var v = vectors.Slice(j * dim, dim);
                double z = Logit(v), y = labels[batch[j]] ? 1 : 0, weight = weights[batch[j]];
                loss += weight * (Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z))));
                float g = (float)((1 / (1 + Math.Exp(-z)) - y) * weight / batch.Length);
                _bias.Grad[0] += g;
                TensorPrimitives.MultiplyAdd(v, g * VectorScale, _weight.Grad, _weight.Grad);
                TensorPrimitives.Multiply(_weight.Value, g * VectorScale, dVectors.AsSpan(j * dim, dim));
            }
            Model.Backward(dVectors.AsSpan(0, batch.Length * dim));
            _encoderOptimizer.Step();
            _headOptimizer.Step();
        }
        return loss / Math.Max(texts.Count, 1);
    }

    /// <summary>P(positive) of each text under the current encoder and head.</summary>
    public double[] Probabilities(IReadOnlyList<int[]> texts)
    {
        var scores = new double[texts.Count];
        int[] order = [.. Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length)];
        int dim = Model.Config.Dim;
        for (int s = 0; s < order.Length; s += ScoringBatch)
        {
            int[] part = order[s..Math.Min(s + ScoringBatch, order.Length)];
            var vectors = Model.Forward([.. part.Select(i => texts[i])]);
            for (int j = 0; j < part.Length; j++) scores[part[j]] = Probability(vectors.Slice(j * dim, dim));
        }
        return scores;
    }

    /// <summary>P(positive) of one unit sentence vector (from this encoder, or one rebuilt from its weights) under the head.</summary>
    public double Probability(ReadOnlySpan<float> vector) => 1 / (1 + Math.Exp(-Logit(vector)));

    private double Logit(ReadOnlySpan<float> vector) => _bias.Value[0] + VectorScale * (double)TensorPrimitives.Dot(vector, _weight.Value);

    public void Dispose() => _pool.Dispose();
}
