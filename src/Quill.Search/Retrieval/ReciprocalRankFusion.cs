// Reciprocal rank fusion: merges ranked lists by rank alone, so scores on different scales (cosine, BM25) need no calibration.
using Quill.Search.Vectors;

namespace Quill.Search.Retrieval;

/// <summary>
/// Cormack, Clarke and Büttcher (SIGIR 2009): an item's fused score is Σ 1/(<see cref="K"/> + rank) over the lists it
/// appears in, ranks 1-based; an item missing from a list adds nothing for it. Ties go to the better single rank, then
/// to the item ranked higher by the earlier list (callers pass lists in order of trust), then to the smaller id.
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>The constant of the paper, and Elasticsearch's default rank_constant.</summary>
    public const int K = 60;

    /// <summary>The <paramref name="k"/> best items of the fused <paramref name="lists"/> (each best first), best first.</summary>
    public static ScoredItem[] Fuse(IReadOnlyList<IReadOnlyList<ScoredItem>> lists, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var scores = new Dictionary<long, (double Score, int BestRank, int FirstListed)>();
        for (int l = 0; l < lists.Count; l++)
        {
            for (int i = 0; i < lists[l].Count; i++)
            {
                int rank = i + 1;
                // FirstListed orders by (earliest list holding the item, its rank there).
                (double score, int best, int first) = scores.GetValueOrDefault(lists[l][i].Id, (0, int.MaxValue, int.MaxValue));
                scores[lists[l][i].Id] = (score + 1.0 / (K + rank), Math.Min(best, rank), Math.Min(first, l * 1_000_000 + rank));
            }
        }
        return scores
            .OrderByDescending(s => s.Value.Score).ThenBy(s => s.Value.BestRank).ThenBy(s => s.Value.FirstListed).ThenBy(s => s.Key)
            .Take(k)
            .Select(s => new ScoredItem(s.Key, (float)s.Value.Score))
            .ToArray();
    }
}
