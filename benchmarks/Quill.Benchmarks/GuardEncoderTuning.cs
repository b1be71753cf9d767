// `./bench guard-tune`: fine-tunes the guard's encoder (all-MiniLM-L6-v2) on data/guard's train split and measures what it buys.
using System.Diagnostics;
using System.Globalization;
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Safety;
using Quill.Training.Classification;

namespace Quill.Benchmarks;

/// <summary>
/// A measurement for choosing how the prompt-injection guard should tune its encoder, not the guard's training: whole texts
/// (up to 128 tokens) through <see cref="EncoderClassifierTraining"/> (a logistic head on 10 × the unit sentence vector,
/// weighted cross-entropy, AdamW, batches of 16 texts of similar length), each data file and label weighing the same, as
/// <see cref="GuardTraining.SourceWeights"/>. After each epoch it prints the seconds taken and, on the held-out split, ROC AUC and the best TPR
/// at FPR ≤ 0.05 with the threshold read off the held-out rows (a diagnostic upper bound, never a shipped threshold).
/// Options: --from L (lowest tuned block; 6 tunes none), --rank R (low-rank adapters instead of whole weights), --epochs N,
/// --lr X, --threads N, --data FILES (default data/guard/guard.jsonl and handwritten.jsonl), --compress R1,R2,… (after the
/// last epoch, the same diagnostic for the tuned change stored at each rank, as <c>quill guard train --tune-encoder</c> stores it).
/// </summary>
public static class GuardEncoderTuning
{
    public const string Command = "guard-tune";
    private const int MaxTokens = 128;

    public static int Run(string[] args)
    {
        int from = 0, rank = 0, epochs = 4, threads = 2;
        int[] ranks = [];
        float rate = 5e-5f;
        var data = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--from": from = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rank": rank = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--epochs": epochs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--lr": rate = float.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--data": data.Add(Next()); break;
                case "--compress": ranks = [.. Next().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))]; break;
                default: Console.Error.WriteLine($"guard-tune: unknown option {args[i]}"); return 2;
            }
        }
        if (data.Count == 0) data = [Path.Combine("data", "guard", "guard.jsonl"), Path.Combine("data", "guard", "handwritten.jsonl")];
        using var embedder = DefaultEmbedder.Load(threads: 1);
        var rows = GuardDataSet.Read(data);
        var train = rows.Where(r => r.Split != "test").ToArray();
        var test = rows.Where(r => r.Split == "test").ToArray();
        int[] Ids(string text) => embedder.TokenIds(text, MaxTokens, out _);
        int[][] trainIds = [.. train.Select(r => Ids(r.Text))], testIds = [.. test.Select(r => Ids(r.Text))];
        double[] weights = GuardTraining.SourceWeights(train);
        double mean = weights.Average();
        for (int i = 0; i < weights.Length; i++) weights[i] /= mean;

        var options = new EncoderClassifierOptions(epochs, rate, from, rank, Threads: threads);
        using var tuning = new EncoderClassifierTraining(embedder.Model.Checkpoint, options);
        bool[] labels = [.. train.Select(r => r.Injection)];
        Console.WriteLine($"guard-tune: {train.Length} train and {test.Length} held-out texts; blocks {from}–{tuning.Model.Config.Layers - 1}" +
            (rank > 0 ? $", adapters of rank {rank}" : "") + $"; {tuning.TunedValues:N0} tuned values; lr {rate}; {threads} threads");
        var clock = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            double loss = tuning.TrainEpoch(trainIds, labels, weights);
            double seconds = clock.Elapsed.TotalSeconds;
            double[] scores = tuning.Probabilities(testIds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}: loss {loss:F4}, {seconds:F0} s; held out: {Diagnostic(test, scores, null)}; " +
                $"handwritten.jsonl {Diagnostic(test, scores, "handwritten.jsonl")}"));
        }
        if (ranks.Length > 0)
        {
            BertCheckpoint source = embedder.Model.Checkpoint, tunedCheckpoint = tuning.Model.ToCheckpoint();
            double[] Scores(BertCheckpoint checkpoint)
            {
                using var model = BertModel.Load(checkpoint, threads);
                using var e = new BertEmbedder(model, embedder.Tokenizer, embedder.ModelName, ownsModel: false);
                var vectors = e.Embed([.. test.Select(r => r.Text)]).Vectors;
                return [.. vectors.Select(v => tuning.Probability(v))];
            }
            double[] full = Scores(tunedCheckpoint);
            Console.WriteLine($"tuned encoder through BertEmbedder: {Diagnostic(test, full, null)}; " +
                $"handwritten.jsonl {Diagnostic(test, full, "handwritten.jsonl")}");
            foreach (int r in ranks)
            {
                clock.Restart();
                GuardEncoder encoder = GuardEncoderTraining.Compress(source, tunedCheckpoint, embedder.ModelName, r);
                double[] scores = Scores(encoder.Apply(source, "guard-tune"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rank {r} ({clock.Elapsed.TotalSeconds:F0} s): " +
                    $"{Diagnostic(test, scores, null)}; handwritten.jsonl {Diagnostic(test, scores, "handwritten.jsonl")}"));
            }
        }
        return 0;
    }

    /// <summary>"AUC 0.983, TPR 0.916 (373/407) at FPR ≤ 0.05": the threshold is the held-out benign rows' 95th percentile.</summary>
    private static string Diagnostic(GuardExample[] test, double[] scores, string? source)
    {
        var rows = test.Select((r, i) => (r, s: scores[i])).Where(p => source is null || p.r.Source == source).ToArray();
        double[] positive = [.. rows.Where(p => p.r.Injection).Select(p => p.s)];
        double[] negative = [.. rows.Where(p => !p.r.Injection).Select(p => p.s).OrderDescending()];
        if (positive.Length == 0 || negative.Length == 0) return "no injections or no benign rows";
        double rate = GuardEncoderTraining.TruePositiveRate([.. rows.Select(p => p.r)], [.. rows.Select(p => p.s)], GuardTraining.TargetFalsePositiveRate);
        double auc = positive.Average(p => negative.Count(n => p > n) / (double)negative.Length);
        return string.Create(CultureInfo.InvariantCulture,
            $"AUC {auc:F3}, TPR {rate:F3} ({Math.Round(rate * positive.Length)}/{positive.Length}) at FPR ≤ 0.05");
    }
}
