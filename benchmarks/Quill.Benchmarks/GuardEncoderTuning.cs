// `./bench guard-tune`: fine-tunes the guard's encoder (all-MiniLM-L6-v2) on data/guard's train split and measures what it buys.
using System.Diagnostics;
using System.Globalization;
using Quill.Embeddings;
using Quill.Safety;
using Quill.Tensors.Threading;
using Quill.Training.Model;
using Quill.Training.Optimization;

namespace Quill.Benchmarks;

/// <summary>
/// A measurement for choosing how the prompt-injection guard should tune its encoder, not the guard's training: whole texts
/// (up to 128 tokens) through <see cref="BertTrainingModel"/>, a logistic head on 10 × the unit sentence vector, weighted
/// cross-entropy (each data file and label weighs the same, as <see cref="GuardTraining.SourceWeights"/>), AdamW, batches of 16
/// texts of similar length. After each epoch it prints the seconds taken and, on the held-out split, ROC AUC and the best TPR
/// at FPR ≤ 0.05 with the threshold read off the held-out rows (a diagnostic upper bound, never a shipped threshold).
/// Options: --from L (lowest tuned block; 6 tunes none), --rank R (low-rank adapters instead of whole weights), --epochs N,
/// --lr X, --threads N, --data FILES (default data/guard/guard.jsonl and handwritten.jsonl).
/// </summary>
public static class GuardEncoderTuning
{
    public const string Command = "guard-tune";
    private const int MaxTokens = 128, Batch = 16, Scale = 10;

    public static int Run(string[] args)
    {
        int from = 0, rank = 0, epochs = 4, threads = 2;
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
                default: Console.Error.WriteLine($"guard-tune: unknown option {args[i]}"); return 2;
            }
        }
        if (data.Count == 0) data = [Path.Combine("data", "guard", "guard.jsonl"), Path.Combine("data", "guard", "handwritten.jsonl")];
        using var embedder = DefaultEmbedder.Load(threads: 1);
        var rows = GuardDataSet.Read(data);
        var train = rows.Where(r => r.Split != "test").ToArray();
        var test = rows.Where(r => r.Split == "test").ToArray();
        int[] Ids(string text)
        {
            int[] ids = embedder.TokenIds(text, out _);
            if (ids.Length <= MaxTokens) return ids;
            int[] cut = ids[..MaxTokens];
            cut[^1] = ids[^1];
            return cut;
        }
        int[][] trainIds = [.. train.Select(r => Ids(r.Text))], testIds = [.. test.Select(r => Ids(r.Text))];
        double[] weights = GuardTraining.SourceWeights(train);
        double mean = weights.Average();
        for (int i = 0; i < weights.Length; i++) weights[i] /= mean;

        using var pool = new ComputePool(threads);
        var model = new BertTrainingModel(embedder.Model.Checkpoint) { TrainableFrom = from, Pool = pool };
        if (rank > 0) model.AttachLora(rank, alpha: 2 * rank, seed: 1);
        var parameters = model.Parameters();
        int dim = model.Config.Dim;
        var head = new ParameterSet();
        var w = head.Add("head.weight", new float[dim], new float[dim]);
        var b = head.Add("head.bias", new float[1], new float[1], decay: false);
        var optimizer = new AdamW(parameters, rate);
        var headOptimizer = new AdamW(head, 1e-3f);
        Console.WriteLine($"guard-tune: {train.Length} train and {test.Length} held-out texts; blocks {from}–{model.Config.Layers - 1}" +
            (rank > 0 ? $", adapters of rank {rank}" : "") + $"; {parameters.ElementCount:N0} tuned values; lr {rate}; {threads} threads");

        double Logit(ReadOnlySpan<float> v)
        {
            double z = b.Value[0];
            for (int c = 0; c < dim; c++) z += Scale * v[c] * w.Value[c];
            return z;
        }
        var random = new Random(0);
        var clock = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            // Shuffle, sort runs of 256 by length so a batch pads little, then shuffle the batches.
            int[] order = [.. Enumerable.Range(0, train.Length).OrderBy(_ => random.Next())];
            var batches = new List<int[]>();
            for (int c = 0; c < order.Length; c += 256)
            {
                int[] run = [.. order.Skip(c).Take(256).OrderBy(i => trainIds[i].Length)];
                for (int s = 0; s < run.Length; s += Batch) batches.Add(run[s..Math.Min(s + Batch, run.Length)]);
            }
            double loss = 0;
            foreach (int[] batch in batches.OrderBy(_ => random.Next()))
            {
                parameters.ZeroGrad();
                head.ZeroGrad();
                var vectors = model.Forward([.. batch.Select(i => trainIds[i])]);
                var dVectors = new float[vectors.Length];
                for (int j = 0; j < batch.Length; j++)
                {
                    var v = vectors.Slice(j * dim, dim);
                    double z = Logit(v), y = train[batch[j]].Injection ? 1 : 0, share = weights[batch[j]] / batch.Length;
                    loss += weights[batch[j]] * (Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z))));
                    double g = (1 / (1 + Math.Exp(-z)) - y) * share;
                    b.Grad[0] += (float)g;
                    for (int c = 0; c < dim; c++)
                    {
                        w.Grad[c] += (float)(g * Scale * v[c]);
                        dVectors[j * dim + c] = (float)(g * Scale * w.Value[c]);
                    }
                }
                model.Backward(dVectors);
                optimizer.Step();
                headOptimizer.Step();
            }
            double seconds = clock.Elapsed.TotalSeconds;
            double[] scores = Scores(model, testIds, Logit);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}: loss {loss / train.Length:F4}, {seconds:F0} s; held out: {Diagnostic(test, scores, null)}; " +
                $"handwritten.jsonl {Diagnostic(test, scores, "handwritten.jsonl")}"));
        }
        return 0;
    }

    private delegate double LogitOf(ReadOnlySpan<float> vector);

    private static double[] Scores(BertTrainingModel model, int[][] ids, LogitOf logit)
    {
        var scores = new double[ids.Length];
        int[] order = [.. Enumerable.Range(0, ids.Length).OrderBy(i => ids[i].Length)];
        int dim = model.Config.Dim;
        for (int s = 0; s < order.Length; s += 64)
        {
            int[] part = order[s..Math.Min(s + 64, order.Length)];
            var vectors = model.Forward([.. part.Select(i => ids[i])]);
            for (int j = 0; j < part.Length; j++) scores[part[j]] = logit(vectors.Slice(j * dim, dim));
        }
        return scores;
    }

    /// <summary>"AUC 0.983, TPR 0.916 (373/407) at FPR ≤ 0.05": the threshold is the held-out benign rows' 95th percentile.</summary>
    private static string Diagnostic(GuardExample[] test, double[] scores, string? source)
    {
        var rows = test.Select((r, i) => (r, s: scores[i])).Where(p => source is null || p.r.Source == source).ToArray();
        double[] positive = [.. rows.Where(p => p.r.Injection).Select(p => p.s)];
        double[] negative = [.. rows.Where(p => !p.r.Injection).Select(p => p.s).OrderDescending()];
        if (positive.Length == 0 || negative.Length == 0) return "no injections or no benign rows";
        double threshold = negative[(int)(0.05 * negative.Length)];
        int found = positive.Count(s => s > threshold);
        double auc = positive.Average(p => negative.Count(n => p > n) / (double)negative.Length);
        return string.Create(CultureInfo.InvariantCulture, $"AUC {auc:F3}, TPR {(double)found / positive.Length:F3} ({found}/{positive.Length}) at FPR ≤ 0.05");
    }
}
