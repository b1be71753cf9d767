// Checks the candidates' partial sort and compaction against a plain full sort; not the samplers' semantics.
using Quill.Generation;

namespace Quill.Tests.Generation;

public class TokenCandidatesTests
{
    // The reference order: logit descending, then id ascending.
    private static int[] ReferenceOrder(float[] logits) =>
        [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i)];

    private static float[] RandomLogits(int n, int seed, bool withTies)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => withTies ? random.Next(-5, 5) : (float)(random.NextDouble() * 20 - 10))];
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 5)]
    [InlineData(33, 33)]
    [InlineData(256, 40)]
    [InlineData(4097, 256)]
    [InlineData(4097, 4097)]
    public void SortDescendingPutsTheBestFirstLikeAFullSort(int n, int leading)
    {
        foreach (bool ties in new[] { false, true })
        {
            float[] logits = RandomLogits(n, n + leading, ties);
            var c = new TokenCandidates(n);
            c.Reset(logits);
            c.SortDescending(leading);
            int[] expected = ReferenceOrder(logits);
            Assert.Equal(expected[..leading], c.Ids[..leading].ToArray());
            Assert.Equal(expected.Order(), c.Ids.ToArray().Order()); // nothing lost or duplicated
            for (int i = 0; i < n; i++) Assert.Equal(logits[c.Ids[i]], c.Logits[i]); // logits travel with their ids
            Assert.Equal(leading, c.SortedCount);
        }
    }

    [Fact]
    public void SortKeepsSpecialValuesInOrder()
    {
        float[] logits = [0f, -0f, float.NegativeInfinity, float.PositiveInfinity, -1e-30f, 1e-30f, float.MaxValue, -float.MaxValue];
        var c = new TokenCandidates(logits.Length);
        c.Reset(logits);
        c.SortDescending(logits.Length);
        Assert.Equal(new[] { 3, 6, 5, 0, 1, 4, 7, 2 }, c.Ids.ToArray()); // -0 ranks just below +0 (bit order)
        for (int i = 0; i < logits.Length; i++)
        {
            // exact round trip, sign of zero included
            Assert.Equal(BitConverter.SingleToUInt32Bits(logits[c.Ids[i]]), BitConverter.SingleToUInt32Bits(c.Logits[i]));
        }
    }

    [Fact]
    public void KeepAtLeastCompactsInOrderAndKeepsTheSortedPrefixMeaningful()
    {
        var c = new TokenCandidates(6);
        c.Reset([5, 1, 4, 3, 0, 2]);
        c.SortDescending(3); // 0 (5), 2 (4), 3 (3), then the rest
        c.KeepAtLeast(2);
        Assert.Equal(new[] { 0, 2, 3 }, c.Ids[..3].ToArray());
        Assert.Equal(4, c.Count); // 5, 4, 3 and 2
        Assert.Equal(3, c.SortedCount);
        Assert.False(c.IsVocabularyOrder);
    }

    [Fact]
    public void ResetRestoresVocabularyOrderAndClearsTheSelection()
    {
        var c = new TokenCandidates(3);
        c.Reset([1, 2, 3]);
        c.SortDescending(3);
        c.Selected = 1;
        c.Reset([3, 2, 1]);
        Assert.True(c.IsVocabularyOrder);
        Assert.Equal(new[] { 0, 1, 2 }, c.Ids.ToArray());
        Assert.Equal(-1, c.Selected);
        Assert.Equal(0, c.SortedCount);
    }

    [Fact]
    public void ResetRejectsTheWrongNumberOfLogits()
    {
        var c = new TokenCandidates(3);
        Assert.Throws<ArgumentException>(() => c.Reset(new float[4]));
    }
}
