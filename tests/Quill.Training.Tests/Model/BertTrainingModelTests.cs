// The BERT encoder for training: sentence vectors as the inference encoder computes them, gradients against finite differences,
// frozen lower blocks, and weights handed back as a checkpoint.
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Training.Model;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Model;

public class BertTrainingModelTests
{
    private static readonly BertConfig Tiny = new(VocabSize: 23, Dim: 8, Layers: 2, Heads: 2, FeedForwardDim: 16, MaxPositions: 12, TokenTypes: 2,
        LayerNormEpsilon: 1e-12f, Pooling.Mean);

    private static BertCheckpoint RandomCheckpoint(BertConfig config, int seed) => RandomBertCheckpoint.Create(config, seed, scale: 0.5f, normSpread: 0.4f);

    private static readonly int[][] Texts = [[2, 5, 6, 7, 3], [2, 9, 3], [2, 11, 12, 13, 14, 15, 16, 17, 3], [2, 3]];

    /// <summary>What BertEmbedder gives: the inference encoder's hidden states, mean-pooled, unit length.</summary>
    private static float[] InferenceVectors(BertCheckpoint checkpoint, int[][] texts)
    {
        int dim = checkpoint.Config.Dim, total = texts.Sum(t => t.Length);
        using var model = BertModel.Load(checkpoint, threads: 1);
        var hidden = new float[total * dim];
        model.Encode(texts, hidden);
        var vectors = new float[texts.Length * dim];
        int row = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var vector = vectors.AsSpan(i * dim, dim);
            TextPooling.Pool(hidden.AsSpan(row * dim, texts[i].Length * dim), texts[i].Length, Pooling.Mean, vector);
            TextPooling.Normalize(vector);
            row += texts[i].Length;
        }
        return vectors;
    }

    [Fact]
    public void VectorsAreTheInferenceEncodersWithPadding()
    {
        var checkpoint = RandomCheckpoint(Tiny, 1);
        var model = new BertTrainingModel(checkpoint);
        float[] vectors = model.Forward(Texts).ToArray();
        AssertClose(InferenceVectors(checkpoint, Texts), vectors, 2e-6f);
        // Each text alone (no padding) gives the vector it got in the padded batch.
        for (int i = 0; i < Texts.Length; i++)
            AssertClose(vectors.AsSpan(i * Tiny.Dim, Tiny.Dim), model.Forward([Texts[i]]), 2e-6f);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var model = new BertTrainingModel(RandomCheckpoint(Tiny, 2));
        var r = RandomValues(new Random(3), Texts.Length * Tiny.Dim);
        var parameters = model.Parameters();
        Assert.Equal(2 * (6 * 2 + 2 * 2), parameters.Count);
        parameters.ZeroGrad();
        model.Forward(Texts);
        model.Backward(r);
        double Loss() => Project(r, model.Forward(Texts));
        foreach (var p in parameters.Parameters)
        {
            // A key bias shifts every score of a query by the same amount, which softmax ignores: its true gradient is 0.
            if (p.Name.EndsWith("attn_k.bias", StringComparison.Ordinal)) Assert.All(p.Grad, g => Assert.True(Math.Abs(g) < 1e-5, $"{p.Name}: {g}"));
            else AssertGradient(p.Name, p.Value, p.Grad, Loss, step: 2e-3f, tolerance: 1e-2);
        }
    }

    [Fact]
    public void FrozenBlocksGatherNothingAndChangeNothingAbove()
    {
        var checkpoint = RandomCheckpoint(Tiny, 4);
        var r = RandomValues(new Random(5), Texts.Length * Tiny.Dim);
        var full = new BertTrainingModel(checkpoint);
        full.Forward(Texts);
        full.Backward(r);
        var top = new BertTrainingModel(checkpoint) { TrainableFrom = 1 };
        top.Forward(Texts);
        top.Backward(r);
        var trainable = top.Parameters();
        Assert.All(trainable.Parameters, p => Assert.StartsWith("blk.1.", p.Name, StringComparison.Ordinal));
        var fullGrads = full.Parameters().Parameters.ToDictionary(p => p.Name, p => p.Grad);
        foreach (var p in trainable.Parameters) Assert.Equal(fullGrads[p.Name], p.Grad);
        Assert.All(top.Blocks[0].Projections(), p => Assert.All(p.Layer.WeightGrad, g => Assert.Equal(0f, g)));
        Assert.Throws<ArgumentOutOfRangeException>(() => top.TrainableFrom = 3);
    }

    [Fact]
    public void ChangedWeightsComeBackAsACheckpointTheInferenceEncoderReads()
    {
        var source = RandomCheckpoint(Tiny, 6);
        var model = new BertTrainingModel(source);
        var rng = new Random(7);
        foreach (var p in model.Parameters().Parameters)
            for (int i = 0; i < p.Length; i++) p.Value[i] += (float)(rng.NextDouble() - 0.5) * 0.1f;
        var tuned = model.ToCheckpoint("tuned");
        Assert.Equal("tuned", tuned.Name);
        Assert.Same(source.Tensors[BertTensorNames.TokenEmbedding], tuned.Tensors[BertTensorNames.TokenEmbedding]);
        Assert.NotEqual(source.Tensors[BertTensorNames.Query(0)].Data, tuned.Tensors[BertTensorNames.Query(0)].Data);
        AssertClose(InferenceVectors(tuned, Texts), model.Forward(Texts), 2e-6f);
    }

    [Fact]
    public void AdaptersStartSilentLearnByGradientAndFoldIntoTheCheckpoint()
    {
        var source = RandomCheckpoint(Tiny, 9);
        float[] before = new BertTrainingModel(source).Forward(Texts).ToArray();
        var model = new BertTrainingModel(source) { TrainableFrom = 1 };
        model.AttachLora(rank: 2, alpha: 4, seed: 1);
        Assert.Equal(before, model.Forward(Texts).ToArray());   // B starts at zero

        var parameters = model.Parameters();
        Assert.Equal(6 * 2 + 2 * 2, parameters.Count);
        Assert.Contains(parameters.Parameters, p => p.Name == "blk.1.attn_q.weight.lora_a");
        var rng = new Random(10);
        foreach (var p in parameters.Parameters.Where(p => p.Name.EndsWith("lora_b", StringComparison.Ordinal)))
            RandomValues(rng, p.Length, 0.3f).CopyTo(p.Value, 0);
        var r = RandomValues(rng, Texts.Length * Tiny.Dim);
        parameters.ZeroGrad();
        model.Forward(Texts);
        model.Backward(r);
        double Loss() => Project(r, model.Forward(Texts));
        foreach (var p in parameters.Parameters) AssertGradient(p.Name, p.Value, p.Grad, Loss, step: 2e-3f, tolerance: 1e-2);
        Assert.All(model.Blocks[1].Projections(), p => Assert.All(p.Layer.WeightGrad, g => Assert.Equal(0f, g)));

        var tuned = model.ToCheckpoint();
        Assert.NotEqual(source.Tensors[BertTensorNames.Query(1)].Data, tuned.Tensors[BertTensorNames.Query(1)].Data);
        Assert.Equal(source.Tensors[BertTensorNames.Query(0)].Data, tuned.Tensors[BertTensorNames.Query(0)].Data);
        AssertClose(InferenceVectors(tuned, Texts), model.Forward(Texts), 2e-6f);
    }

    [Fact]
    public void BadSequencesAreRefused()
    {
        var model = new BertTrainingModel(RandomCheckpoint(Tiny, 8));
        Assert.Throws<ArgumentException>(() => model.Forward([[]]));
        Assert.Throws<ArgumentException>(() => model.Forward([new int[Tiny.MaxPositions + 1]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([[2, Tiny.VocabSize, 3]]));
    }
}
