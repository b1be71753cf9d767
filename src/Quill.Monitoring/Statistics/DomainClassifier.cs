// Text drift by a domain classifier: logistic regression told reference from current, its cross-validated ROC AUC against shuffled labels.
namespace Quill.Monitoring.Statistics;

/// <summary>The out-of-fold ROC AUC, the shuffled-label bound it must beat, and the shuffled AUCs' mean.</summary>
public sealed record DomainClassifierResult(double Auc, double Threshold, double ShuffledMean, int Folds, int Shuffles)
{
    /// <summary>True when the classifier separates the two sets better than any but 5% of shuffled-label runs.</summary>
    public bool Drift => Auc > Threshold;
}

/// <summary>
/// Label reference vectors 0 and current vectors 1, train an L2-regularised logistic regression
/// (<see cref="LogisticRegression"/>) in k stratified folds and score each held-out vector; the AUC of those scores says
/// how well the sets can be told apart (0.5: not at all). The bound is the 95th percentile of the same procedure's AUC
/// with the labels shuffled (a permutation null), so small samples, which overfit more, need a larger AUC.
/// </summary>
public static class DomainClassifier
{
    /// <summary>Runs the test; <paramref name="seed"/> fixes the folds and the shuffles.</summary>
    public static DomainClassifierResult Test(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> current, int folds = 5, int shuffles = 19,
        int seed = 1)
    {
        if (reference.Count < 2 || current.Count < 2) throw new ArgumentException("the domain classifier needs at least two texts on each side");
        var x = new List<float[]>(reference.Count + current.Count);
        x.AddRange(reference);
        x.AddRange(current);
        var y = new int[x.Count];
        for (int i = reference.Count; i < y.Length; i++) y[i] = 1;
        var random = new Random(seed);
        folds = Math.Max(2, Math.Min(folds, Math.Min(reference.Count, current.Count)));
        double auc = CrossValidatedAuc(x, y, folds, random);
        var shuffled = new double[shuffles];
        for (int s = 0; s < shuffles; s++)
        {
            int[] labels = (int[])y.Clone();
            random.Shuffle(labels);
            shuffled[s] = CrossValidatedAuc(x, labels, folds, random);
        }
        Array.Sort(shuffled);
        double threshold = shuffles == 0 ? 0.5 : shuffled[Math.Min(shuffles - 1, (int)Math.Ceiling(0.95 * shuffles) - 1)];
        return new DomainClassifierResult(auc, Math.Max(threshold, 0.5), shuffled.Length == 0 ? 0.5 : shuffled.Average(), folds, shuffles);
    }

    private static double CrossValidatedAuc(List<float[]> x, int[] y, int folds, Random random)
    {
        var fold = new int[y.Length];
        for (int label = 0; label <= 1; label++) // stratified: each label dealt round-robin in a shuffled order
        {
            int[] members = [.. Enumerable.Range(0, y.Length).Where(i => y[i] == label)];
            random.Shuffle(members);
            for (int i = 0; i < members.Length; i++) fold[members[i]] = i % folds;
        }
        var scores = new double[y.Length];
        for (int f = 0; f < folds; f++)
        {
            var trainX = new List<float[]>();
            var trainY = new List<int>();
            for (int i = 0; i < y.Length; i++)
            {
                if (fold[i] == f) continue;
                trainX.Add(x[i]);
                trainY.Add(y[i]);
            }
            var model = LogisticRegression.Fit(trainX, trainY);
            for (int i = 0; i < y.Length; i++) if (fold[i] == f) scores[i] = model.Score(x[i]);
        }
        return RocAuc.Of(scores, y);
    }
}

/// <summary>The area under the ROC curve from scores and 0/1 labels: the Mann–Whitney U over the positives, ties counted half.</summary>
public static class RocAuc
{
    /// <summary>AUC of <paramref name="scores"/> for <paramref name="labels"/> (1 positive, 0 negative).</summary>
    public static double Of(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        int n = scores.Count;
        int[] order = [.. Enumerable.Range(0, n).OrderBy(i => scores[i])];
        var ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1; // average rank of a tie
            for (int t = i; t <= j; t++) ranks[order[t]] = rank;
            i = j + 1;
        }
        double positives = labels.Count(l => l == 1), negatives = n - positives, rankSum = 0;
        if (positives == 0 || negatives == 0) throw new ArgumentException("the AUC needs both labels");
        for (int i = 0; i < n; i++) if (labels[i] == 1) rankSum += ranks[i];
        return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
    }
}
