// Reciprocal rank fusion on lists small enough to check by hand.
using Quill.Search.Retrieval;
using Quill.Search.Vectors;

namespace Quill.Search.Tests.Retrieval;

public class ReciprocalRankFusionTests
{
    private static ScoredItem[] Ranked(params long[] ids) => ids.Select((id, i) => new ScoredItem(id, 100f - i)).ToArray();

    [Fact]
    public void Scores_are_the_sum_of_one_over_sixty_plus_rank()
    {
        // vector: 7, 3, 5   keyword: 3, 9
        ScoredItem[] fused = ReciprocalRankFusion.Fuse([Ranked(7, 3, 5), Ranked(3, 9)], 10);
        Assert.Equal([3L, 7, 9, 5], fused.Select(f => f.Id));
        Assert.Equal(1.0 / 62 + 1.0 / 61, fused[0].Score, 6);
        Assert.Equal(1.0 / 61, fused[1].Score, 6);
        Assert.Equal(1.0 / 62, fused[2].Score, 6);
        Assert.Equal(1.0 / 63, fused[3].Score, 6);
    }

    [Fact]
    public void Ties_go_to_the_better_single_rank_then_the_earlier_list_and_k_cuts()
    {
        // 8 is ranked (1, 4) and 4 (4, 1): equal sums and equal best ranks, so the first list's favourite comes first.
        ScoredItem[] fused = ReciprocalRankFusion.Fuse([Ranked(8, 1, 2, 4), Ranked(4, 5, 6, 8)], 2);
        Assert.Equal([8L, 4], fused.Select(f => f.Id));
        // 1 is ranked (2, -) and 2 (-, 2): the same sum and best rank, and the first list holds 1.
        Assert.Equal([9L, 3, 1, 2], ReciprocalRankFusion.Fuse([Ranked(9, 1), Ranked(3, 2)], 4).Select(f => f.Id));
        Assert.Empty(ReciprocalRankFusion.Fuse([[], []], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReciprocalRankFusion.Fuse([Ranked(1)], 0));
    }
}
