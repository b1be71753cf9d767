// Turning per-label scores into sorted probabilities that sum to 1.
namespace Quill.Tasks;

/// <summary>Softmax over per-label scores, sorted by probability (ties keep the labels' order).</summary>
internal static class LabelScores
{
    /// <summary>softmax(<paramref name="logits"/> / <paramref name="temperature"/>) as sorted <see cref="LabelScore"/>s.</summary>
    public static IReadOnlyList<LabelScore> FromLogprobs(IReadOnlyList<string> labels, IReadOnlyList<double> logits, double temperature = 1)
    {
        double max = logits.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var weights = new double[labels.Count];
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = double.IsFinite(logits[i]) ? Math.Exp((logits[i] - max) / temperature) : 0;
            sum += weights[i];
        }
        var scores = new LabelScore[labels.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = new LabelScore(labels[i], sum > 0 ? weights[i] / sum : 1.0 / labels.Count);
        return [.. scores.Select((s, i) => (s, i)).OrderByDescending(x => x.s.Score).ThenBy(x => x.i).Select(x => x.s)];
    }
}
