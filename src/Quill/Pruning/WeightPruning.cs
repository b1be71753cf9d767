// Unstructured and N:M pruning of one weight row by magnitude or by Wanda's score; the model-level driver is ModelPruner.
namespace Quill.Pruning;

/// <summary>How a row's weights are scored: |W_ij|, or Wanda's |W_ij|·‖X_j‖₂ (input column norms over calibration tokens).</summary>
public enum PruneMethod
{
    Magnitude,
    Wanda,
}

/// <summary>An N:M pattern: in every M consecutive input weights of a row, N are kept (2:4 keeps 2 of 4).</summary>
public readonly record struct SparsityPattern(int Keep, int Group)
{
    /// <summary>Parses "N:M" with 0 &lt; N &lt; M.</summary>
    public static SparsityPattern Parse(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int n) || !int.TryParse(parts[1], out int m) || n <= 0 || m <= n || m > 64)
        {
            throw new ArgumentException($"--pattern '{text}': expected N:M with 0 < N < M ≤ 64, e.g. 2:4");
        }
        return new SparsityPattern(n, m);
    }

    public double Sparsity => 1.0 - (double)Keep / Group;

    public override string ToString() => $"{Keep}:{Group}";
}

/// <summary>
/// Pruning of one output row (the weights one output feature reads, one per input column), as the Wanda paper does it:
/// scores compared within the row. Unstructured: the ⌊s·n⌉ lowest scores are zeroed (ties: the lower column first);
/// N:M: in each group of M consecutive columns the M−N lowest are zeroed. Scores are |W_ij| (magnitude) or
/// |W_ij|·‖X_j‖₂ (Wanda), in double.
/// </summary>
public static class WeightPruning
{
    /// <summary>
    /// Zeroes weights of <paramref name="row"/> in place and returns how many were zeroed. <paramref name="columnNorms"/>
    /// (‖X_j‖₂ per column) is used for Wanda and must be null for magnitude.
    /// </summary>
    public static int PruneRow(Span<float> row, ReadOnlySpan<float> columnNorms, double sparsity, SparsityPattern? pattern)
    {
        if (!columnNorms.IsEmpty && columnNorms.Length != row.Length)
        {
            throw new ArgumentException($"{columnNorms.Length} column norms for a row of {row.Length} weights");
        }
        var scores = new double[row.Length];
        for (int j = 0; j < row.Length; j++) scores[j] = Math.Abs((double)row[j]) * (columnNorms.IsEmpty ? 1.0 : columnNorms[j]);
        if (pattern is { } p)
        {
            if (row.Length % p.Group != 0) throw new ArgumentException($"a row of {row.Length} weights is not a whole number of {p} groups");
            int pruned = 0;
            for (int g = 0; g < row.Length; g += p.Group) pruned += ZeroLowest(row.Slice(g, p.Group), scores.AsSpan(g, p.Group), p.Group - p.Keep);
            return pruned;
        }
        if (sparsity < 0 || sparsity >= 1) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "sparsity must be in [0, 1)");
        return ZeroLowest(row, scores, PrunedCount(row.Length, sparsity));
    }

    /// <summary>Weights pruned from a row of <paramref name="columns"/> at <paramref name="sparsity"/>: ⌊s·n⌉, halves away from zero.</summary>
    public static int PrunedCount(int columns, double sparsity) => (int)Math.Round(sparsity * columns, MidpointRounding.AwayFromZero);

    /// <summary>Zeroes the <paramref name="count"/> lowest-scoring weights (the lower index first among equal scores).</summary>
    private static int ZeroLowest(Span<float> weights, ReadOnlySpan<double> scores, int count)
    {
        if (count <= 0) return 0;
        int[] order = new int[weights.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        double[] keys = scores.ToArray();
        Array.Sort(keys, order); // introsort: ties resolved below by index
        // Stable by index within equal scores: sort each run of equal keys by column.
        for (int start = 0; start < keys.Length;)
        {
            int end = start + 1;
            while (end < keys.Length && keys[end] == keys[start]) end++;
            if (end - start > 1) Array.Sort(order, start, end - start);
            start = end;
        }
        for (int i = 0; i < count; i++) weights[order[i]] = 0f;
        return count;
    }
}
