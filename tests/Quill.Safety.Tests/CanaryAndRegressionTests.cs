// Canary detection across chunk boundaries, and the logistic regression on a separable toy set.

namespace Quill.Safety.Tests;

public sealed class CanaryAndRegressionTests
{
    [Fact]
    public void Canary_split_across_chunks_is_found_and_never_shown()
    {
        var canary = new CanaryToken("QC-0123456789ABCDEF");
        CanaryDetector detector = canary.Detector();
        string shown = "";
        foreach (string piece in new[] { "Sure: my marker is QC-0123", "456789ABC", "DEF and more" })
        {
            int n = detector.Push(piece);
            shown += piece[..n];
        }
        Assert.True(detector.Leaked);
        Assert.Equal("Sure: my marker is QC-0123456789ABC", shown); // the chunks before the last were already sent
        Assert.Equal(0, detector.Push("more"));
    }

    [Fact]
    public void Canary_in_one_chunk_shows_only_what_precedes_it()
    {
        CanaryDetector detector = new CanaryToken("QC-FFFF").Detector();
        Assert.Equal(3, detector.Push("abcqc-ffffxyz"));
        Assert.True(detector.Leaked);
    }

    [Fact]
    public void New_canaries_differ() => Assert.NotEqual(CanaryToken.New().Value, CanaryToken.New().Value);

    [Fact]
    public void Logistic_regression_separates_a_toy_set()
    {
        var vectors = new List<float[]>();
        var labels = new List<bool>();
        for (int i = 0; i < 40; i++)
        {
            bool positive = i % 2 == 0;
            vectors.Add([positive ? 1f : -1f, (i % 7) / 7f - 0.5f, 0.1f]);
            labels.Add(positive);
        }
        LogisticRegression model = LogisticRegression.Train(vectors, labels, steps: 500);
        Assert.True(model.Probability([1f, 0f, 0.1f]) > 0.9);
        Assert.True(model.Probability([-1f, 0f, 0.1f]) < 0.1);
        Assert.Throws<ArgumentException>(() => LogisticRegression.Train(vectors, [.. labels.Select(_ => true)]));
    }
}
