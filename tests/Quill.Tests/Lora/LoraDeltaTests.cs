// The LoRA low-rank update kernel against its scalar twin, on odd and round sizes.
using Quill.Models.Llama;
using Quill.Tensors;

namespace Quill.Tests.Lora;

public class LoraDeltaTests
{
    // F32 dot products and multiply-adds against a double reference, on values of magnitude ≤ 1.
    private const float RelativeTolerance = 1e-5f;

    [Theory]
    [InlineData(0, 31, 1, 33)]
    [InlineData(1, 1, 1, 1)]
    [InlineData(1, 31, 4, 33)]
    [InlineData(3, 33, 8, 31)]
    [InlineData(2, 256, 16, 256)]
    [InlineData(2, 4097, 3, 5)]
    [InlineData(5, 7, 2, 4097)]
    public void AddMatchesTheReference(int rows, int inF, int rank, int outF)
    {
        var rng = new SplitMix64((ulong)(rows * 1000 + inF + rank + outF));
        float[] Fill(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var x = Fill(rows * inF);
        var a = Fill(rank * inF);
        var bT = Fill(rank * outF);
        var y = Fill(rows * outF);
        var expected = (float[])y.Clone();

        LoraDelta.Add(x, a, bT, rank, 0.75f, y, new float[rank]);
        LoraDelta.AddReference(x, a, bT, rank, 0.75f, expected);

        float scale = 1 + MathF.Sqrt(inF) * rank;
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) <= RelativeTolerance * scale, $"element {i}: {y[i]} vs {expected[i]}");
    }

    [Fact]
    public void EachRowIsComputedAloneWhateverTheRowCount()
    {
        const int inF = 40, rank = 5, outF = 24, rows = 7;
        var rng = new SplitMix64(5);
        float[] Fill(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var x = Fill(rows * inF);
        var a = Fill(rank * inF);
        var bT = Fill(rank * outF);
        var all = new float[rows * outF];
        LoraDelta.Add(x, a, bT, rank, 1.5f, all, new float[rank]);
        for (int r = 0; r < rows; r++)
        {
            var one = new float[outF];
            LoraDelta.Add(x.AsSpan(r * inF, inF), a, bT, rank, 1.5f, one, new float[rank]);
            Assert.True(one.AsSpan().SequenceEqual(all.AsSpan(r * outF, outF)));
        }
    }
}
