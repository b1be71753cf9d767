// `./bench guard-stage`: the logistic stage of a tuned guard fitted several ways on the same tuned encoder, compared on the validation rows.
using System.Globalization;
using Quill.Embeddings;
using Quill.Safety;

namespace Quill.Benchmarks;

/// <summary>
/// A measurement for choosing the guard's logistic stage, not the guard's training. It takes a guard.json that
/// <c>quill guard train --tune-encoder</c> wrote from the same data (so its encoder was tuned on the same fit rows), splits the
/// train rows as <see cref="GuardTraining.TrainTuned"/> does, and fits the tuned classifier and the frozen partner with and
/// without their word and n-gram features. For each pairing it prints the validation rows' TPR at the threshold
/// <see cref="GuardTraining.LowestThreshold"/> chooses there (the choice rule: both sets of scores are out of sample), then,
/// as a diagnostic, the held-out rates at that threshold and the held-out TPR at FPR ≤ 0.05 read off the held-out rows.
/// Options: --model PATH (required), --data FILES (default data/guard/guard.jsonl and handwritten.jsonl), --threads N.
/// </summary>
public static class GuardStageVariants
{
    public const string Command = "guard-stage";

    public static int Run(string[] args)
    {
        string? modelPath = null;
        int threads = 2;
        var data = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--model": modelPath = Next(); break;
                case "--data": data.Add(Next()); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"{Command}: unknown option {args[i]}"); return 2;
            }
        }
        if (modelPath is null)
        {
            Console.Error.WriteLine($"{Command}: --model GUARD.JSON is required (a guard trained with --tune-encoder on the same data)");
            return 2;
        }
        if (data.Count == 0) data = [Path.Combine("data", "guard", "guard.jsonl"), Path.Combine("data", "guard", "handwritten.jsonl")];
        GuardModel model = GuardModel.Load(modelPath);
        if (model.Encoder is null)
        {
            Console.Error.WriteLine($"{Command}: {modelPath} carries no tuned encoder");
            return 2;
        }
        using var embedder = DefaultEmbedder.Load(threads: threads);
        using var tuned = model.Encoder.Wrap(embedder, modelPath);
        var rows = GuardDataSet.Read(data);
        GuardExample[] train = [.. rows.Where(r => r.Split != "test")], test = [.. rows.Where(r => r.Split == "test")];
        var (fit, validation) = GuardTraining.ValidationSplit(train);
        Console.WriteLine($"{Command}: {fit.Length} fit, {validation.Length} validation, {test.Length} held-out rows");
        bool[] labels = [.. fit.Select(e => e.Injection)];
        double[] weights = GuardTraining.SourceWeights(fit);
        GuardPieceSet Pieces(GuardExample[] set, ITextEmbedder e) => GuardPieceSet.Build([.. set.Select(r => r.Text)], e, PhraseMatcher.Default);
        var (tunedFit, baseFit) = (Pieces(fit, tuned), Pieces(fit, embedder));
        var (tunedValidation, baseValidation) = (Pieces(validation, tuned), Pieces(validation, embedder));
        var (tunedTest, baseTest) = (Pieces(test, tuned), Pieces(test, embedder));

        (double[] Validation, double[] Test) Scores(GuardPieceSet fitPieces, GuardPieceSet validationPieces, GuardPieceSet testPieces, bool lexical)
        {
            if (!lexical) (fitPieces, validationPieces, testPieces) = (fitPieces.DenseOnly(), validationPieces.DenseOnly(), testPieces.DenseOnly());
            LogisticRegression classifier = GuardTraining.Fit(fitPieces, labels, weights, _ => true);
            return (validationPieces.MaxPerText(p => validationPieces.Probability(classifier, p)),
                testPieces.MaxPerText(p => testPieces.Probability(classifier, p)));
        }
        var tunedScores = new[] { true, false }.ToDictionary(l => l, l => Scores(tunedFit, tunedValidation, tunedTest, l));
        var baseScores = new[] { true, false }.ToDictionary(l => l, l => Scores(baseFit, baseValidation, baseTest, l));
        foreach (bool tunedLexical in new[] { true, false })
        {
            foreach (bool? baseLexical in new bool?[] { true, false, null })
            {
                var t = tunedScores[tunedLexical];
                double[] v = baseLexical is { } b ? Mean(t.Validation, baseScores[b].Validation) : t.Validation;
                double[] h = baseLexical is { } c ? Mean(t.Test, baseScores[c].Test) : t.Test;
                string name = $"tuned {(tunedLexical ? "full" : "dense")}" + (baseLexical is { } d ? $" + partner {(d ? "full" : "dense")}" : " alone");
                Console.WriteLine(Line(name, validation, v, test, h));
            }
        }
        return 0;
    }

    private static double[] Mean(double[] a, double[] b) => [.. a.Zip(b, (x, y) => (x + y) / 2)];

    private static string Line(string name, GuardExample[] validation, double[] validationScores, GuardExample[] test, double[] testScores)
    {
        double threshold = GuardTraining.LowestThreshold(validation, validationScores);
        (double tpr, double fpr) At(GuardExample[] rows, double[] scores) => (
            rows.Where((r, i) => r.Injection && scores[i] >= threshold).Count() / (double)rows.Count(r => r.Injection),
            rows.Where((r, i) => !r.Injection && scores[i] >= threshold).Count() / (double)rows.Count(r => !r.Injection));
        var (vt, vf) = At(validation, validationScores);
        var (ht, hf) = At(test, testScores);
        double oracle = GuardEncoderTraining.TruePositiveRate(test, testScores, GuardTraining.TargetFalsePositiveRate);
        return string.Create(CultureInfo.InvariantCulture,
            $"{name,-32} threshold {threshold:F3}: validation TPR {vt:F3} FPR {vf:F3}; held out TPR {ht:F3} FPR {hf:F3}, TPR at FPR ≤ 0.05 {oracle:F3}");
    }
}
