// Fine-tuning a tiny random BERT to tell texts with a marker token from texts without: it learns, repeats itself, refuses bad options.
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Training.Classification;
using Quill.Training.Tests.Model;

namespace Quill.Training.Tests.Classification;

public class EncoderClassifierTrainingTests
{
    private const int Marker = 7;
    private static readonly BertConfig Tiny = new(VocabSize: 23, Dim: 16, Layers: 2, Heads: 2, FeedForwardDim: 32, MaxPositions: 16, TokenTypes: 2,
        LayerNormEpsilon: 1e-12f, Pooling.Mean);

    private static BertCheckpoint RandomCheckpoint(int seed) => RandomBertCheckpoint.Create(Tiny, seed, scale: 0.3f, normSpread: 0);

    /// <summary>[CLS] 2–8 tokens from 8…22 [SEP], half of them with the marker somewhere inside.</summary>
    private static (int[][] Texts, bool[] Labels) Data(int count, int seed)
    {
        var rng = new Random(seed);
        var texts = new int[count][];
        var labels = new bool[count];
        for (int i = 0; i < count; i++)
        {
            var ids = new List<int> { 2 };
            int length = rng.Next(2, 9);
            for (int t = 0; t < length; t++) ids.Add(rng.Next(8, Tiny.VocabSize));
            labels[i] = i % 2 == 0;
            if (labels[i]) ids[rng.Next(1, ids.Count)] = Marker;
            ids.Add(3);
            texts[i] = [.. ids];
        }
        return (texts, labels);
    }

    private static double[] Train(out double firstLoss, out double lastLoss, int loraRank = 0)
    {
        var (texts, labels) = Data(96, 1);
        double[] weights = [.. Enumerable.Repeat(1.0, texts.Length)];
        using var training = new EncoderClassifierTraining(RandomCheckpoint(2), new EncoderClassifierOptions(LearningRate: 3e-3f, LoraRank: loraRank));
        firstLoss = lastLoss = training.TrainEpoch(texts, labels, weights);
        for (int epoch = 1; epoch < 30; epoch++) lastLoss = training.TrainEpoch(texts, labels, weights);
        var (heldOut, heldOutLabels) = Data(64, 3);
        double[] p = training.Probabilities(heldOut);
        int right = p.Where((s, i) => s >= 0.5 == heldOutLabels[i]).Count();
        Assert.True(right >= 58, $"held-out accuracy {right}/64");
        return p;
    }

    [Fact]
    public void LearnsToFindTheMarkerAndRepeatsItself()
    {
        double[] first = Train(out double firstLoss, out double lastLoss);
        Assert.True(lastLoss < firstLoss / 4, $"loss {firstLoss} → {lastLoss}");
        Assert.Equal(first, Train(out _, out _));
    }

    [Fact]
    public void AdaptersLearnItToo() => Train(out _, out _, loraRank: 4);

    [Fact]
    public void BadOptionsAndDataAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierOptions(Epochs: 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierOptions(LearningRate: float.NaN).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierOptions(LoraRank: -1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierOptions(BatchSize: 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierOptions(Threads: 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderClassifierTraining(RandomCheckpoint(4), new EncoderClassifierOptions(TrainableFrom: 1000)));
        using var training = new EncoderClassifierTraining(RandomCheckpoint(4), new EncoderClassifierOptions());
        Assert.Throws<ArgumentException>(() => training.TrainEpoch([[2, 3]], [true, false], [1.0]));
    }
}
