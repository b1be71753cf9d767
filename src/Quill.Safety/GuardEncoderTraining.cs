// Tunes the guard's encoder on the train rows, picks the epoch on validation rows, and stores the change as a GuardEncoder.
using System.Globalization;
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Training.Classification;
using Quill.Training.Lora;

namespace Quill.Safety;

/// <summary>How <c>quill guard train</c> tunes the encoder before fitting its classifier.</summary>
/// <param name="Epochs">Passes over the fit rows; the kept encoder is the epoch that scores best on the validation rows.</param>
/// <param name="LearningRate">AdamW's rate for every block's weights.</param>
/// <param name="Rank">Rank of the stored change of each projection (<see cref="GuardEncoder"/>).</param>
/// <param name="MaxTokens">Tokens per text while tuning (longer texts are cut; the guard still reads windows of them).</param>
/// <param name="Threads">Compute threads.</param>
/// <param name="Seed">Shuffling.</param>
public sealed record GuardEncoderOptions(int Epochs = 3, float LearningRate = 5e-5f, int Rank = 64, int MaxTokens = 128, int Threads = 2, int Seed = 0)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first impossible option.</summary>
    public GuardEncoderOptions Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "expected a rank of 1 or more");
        if (MaxTokens < 3) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "expected at least 3 tokens ([CLS], one, [SEP])");
        new EncoderClassifierOptions(Epochs, LearningRate, Threads: Threads, Seed: Seed).Validate();
        return this;
    }
}

/// <summary>The tuned encoder and how it was chosen.</summary>
/// <param name="Encoder">The change to the base encoder, compressed to the options' rank.</param>
/// <param name="Epoch">The kept epoch (1-based).</param>
/// <param name="ValidationTruePositiveRates">Per epoch, the validation rows' TPR at FPR ≤ 0.05 (threshold read off them).</param>
public sealed record GuardEncoderResult(GuardEncoder Encoder, int Epoch, IReadOnlyList<double> ValidationTruePositiveRates);

/// <summary>
/// Fine-tunes every block of the embedder's encoder (<see cref="EncoderClassifierTraining"/>: a logistic head on the unit
/// sentence vector, each data file and label weighing the same as in <see cref="GuardTraining.SourceWeights"/>), keeps the
/// epoch whose validation TPR at FPR ≤ 0.05 is highest (the figure swings by several points between epochs), and stores
/// its change from the base as rank-<see cref="GuardEncoderOptions.Rank"/> deltas (<see cref="Compress"/>).
/// </summary>
public static class GuardEncoderTraining
{
    /// <summary>
    /// Tunes on <paramref name="fit"/>, chooses the epoch on <paramref name="validation"/>; reports each epoch to
    /// <paramref name="progress"/>.
    /// </summary>
    public static GuardEncoderResult Tune(BertEmbedder embedder, IReadOnlyList<GuardExample> fit, IReadOnlyList<GuardExample> validation,
        GuardEncoderOptions options, Action<string>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        if (fit.Count == 0) throw new ArgumentException("tuning the encoder needs train rows", nameof(fit));
        int[][] fitIds = [.. fit.Select(e => embedder.TokenIds(e.Text, options.MaxTokens, out _))];
        int[][] validationIds = [.. validation.Select(e => embedder.TokenIds(e.Text, options.MaxTokens, out _))];
        double[] weights = GuardTraining.SourceWeights(fit);
        double mean = weights.Average();
        for (int i = 0; i < weights.Length; i++) weights[i] /= mean;
        bool[] labels = [.. fit.Select(e => e.Injection)];

        using var tuning = new EncoderClassifierTraining(embedder.Model.Checkpoint,
            new EncoderClassifierOptions(options.Epochs, options.LearningRate, Threads: options.Threads, Seed: options.Seed));
        var rates = new List<double>();
        BertCheckpoint? best = null;
        int bestEpoch = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            double loss = tuning.TrainEpoch(fitIds, labels, weights);
            double rate = validation.Count == 0 ? double.NaN
                : TruePositiveRate(validation, tuning.Probabilities(validationIds), GuardTraining.TargetFalsePositiveRate);
            rates.Add(rate);
            // Without validation rows (or without both labels there) the last epoch is kept.
            if (best is null || double.IsNaN(rate) || rate > rates[bestEpoch - 1])
            {
                best = tuning.Model.ToCheckpoint();
                bestEpoch = epoch;
            }
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"encoder epoch {epoch}/{options.Epochs}: loss {loss:F4}, validation TPR {rate:F3} at FPR ≤ {GuardTraining.TargetFalsePositiveRate}"));
        }
        return new GuardEncoderResult(Compress(embedder.Model.Checkpoint, best!, embedder.ModelName, options.Rank), bestEpoch, rates);
    }

    /// <summary>
    /// The highest share of injections scored above a threshold that at most <paramref name="falsePositiveRate"/> of the
    /// benign rows reach; NaN without both labels.
    /// </summary>
    public static double TruePositiveRate(IReadOnlyList<GuardExample> rows, IReadOnlyList<double> scores, double falsePositiveRate)
    {
        double[] benign = [.. rows.Select((r, i) => (r, i)).Where(p => !p.r.Injection).Select(p => scores[p.i]).OrderDescending()];
        double[] attacks = [.. rows.Select((r, i) => (r, i)).Where(p => p.r.Injection).Select(p => scores[p.i])];
        if (benign.Length == 0 || attacks.Length == 0) return double.NaN;
        double threshold = benign[Math.Min(benign.Length - 1, (int)(falsePositiveRate * benign.Length))];
        return attacks.Count(s => s > threshold) / (double)attacks.Length;
    }

    /// <summary>
    /// The change from <paramref name="source"/> to <paramref name="tuned"/>: each block projection's difference approximated
    /// at <paramref name="rank"/> (<see cref="LowRankApproximation"/>, capped at the matrix's smaller side) and stored as Q8_0,
    /// each block vector that moved stored whole. Dimensions must be multiples of 32 (every BERT's are).
    /// </summary>
    public static GuardEncoder Compress(BertCheckpoint source, BertCheckpoint tuned, string baseName, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        var deltas = new List<GuardEncoderDelta>();
        var vectors = new List<GuardEncoderVector>();
        foreach (var (name, rows, columns) in BertCheckpoint.Layout(source.Config))
        {
            if (!name.StartsWith("blk.", StringComparison.Ordinal)) continue;
            float[] before = source.Get(name, rows, columns).Data, after = tuned.Get(name, rows, columns).Data;
            if (before.AsSpan().SequenceEqual(after)) continue;
            if (rows == 1)
            {
                vectors.Add(new GuardEncoderVector(name, (float[])after.Clone()));
                continue;
            }
            if (rows % 32 != 0 || columns % 32 != 0)
                throw new ArgumentException($"{name}: {rows} × {columns} is not a multiple of 32 on both sides, which the stored deltas (Q8_0) need");
            var difference = new float[after.Length];
            for (int i = 0; i < difference.Length; i++) difference[i] = after[i] - before[i];
            int r = Math.Min(rank, Math.Min(rows, columns));
            var (b, a) = LowRankApproximation.Fit(difference, rows, columns, r);
            deltas.Add(GuardEncoderDelta.Create(name, rows, columns, r, b, a));
        }
        return new GuardEncoder { Base = baseName, Deltas = [.. deltas], Vectors = [.. vectors] };
    }
}
