// LowRankApproximation against matrices whose singular values are known: exact on low rank, Eckart–Young error beyond.
using Quill.Tensors;
using Quill.Training.Lora;

namespace Quill.Training.Tests.Lora;

public sealed class LowRankApproximationTests
{
    /// <summary>Random orthonormal columns (n, k), row-major, by Gram–Schmidt in double.</summary>
    private static double[] Orthonormal(int n, int k, SplitMix64 rng)
    {
        var q = new double[n * k];
        for (int i = 0; i < q.Length; i++) q[i] = rng.NextDouble() - 0.5;
        for (int j = 0; j < k; j++)
        {
            for (int i = 0; i < j; i++)
            {
                double dot = 0;
                for (int r = 0; r < n; r++) dot += q[r * k + i] * q[r * k + j];
                for (int r = 0; r < n; r++) q[r * k + j] -= dot * q[r * k + i];
            }
            double norm = Math.Sqrt(Enumerable.Range(0, n).Sum(r => q[r * k + j] * q[r * k + j]));
            for (int r = 0; r < n; r++) q[r * k + j] /= norm;
        }
        return q;
    }

    /// <summary>M = U·diag(s)·Vᵀ, (rows, columns).</summary>
    private static float[] WithSpectrum(int rows, int columns, double[] s, ulong seed)
    {
        var rng = new SplitMix64(seed);
        int k = s.Length;
        double[] u = Orthonormal(rows, k, rng), v = Orthonormal(columns, k, rng);
        var m = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double sum = 0;
                for (int i = 0; i < k; i++) sum += u[r * k + i] * s[i] * v[c * k + i];
                m[r * columns + c] = (float)sum;
            }
        return m;
    }

    private static double[] Product(float[] b, float[] a, int rows, int columns, int rank)
    {
        var p = new double[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < rank; k++)
                for (int c = 0; c < columns; c++) p[r * columns + c] += (double)b[r * rank + k] * a[k * columns + c];
        return p;
    }

    private static double SquaredError(float[] m, double[] p) => m.Select((v, i) => (v - p[i]) * (v - p[i])).Sum();

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(31, 33, 3)]
    [InlineData(33, 31, 5)]
    [InlineData(64, 256, 8)]
    public void ReproducesAMatrixOfThatRank(int rows, int columns, int rank)
    {
        double[] s = [.. Enumerable.Range(0, rank).Select(i => 3.0 / (i + 1))];
        float[] m = WithSpectrum(rows, columns, s, seed: (ulong)(rows * 1000 + columns));
        var (b, a) = LowRankApproximation.Fit(m, rows, columns, rank);
        double relative = Math.Sqrt(SquaredError(m, Product(b, a, rows, columns, rank)) / m.Sum(v => (double)v * v));
        Assert.True(relative < 1e-6, $"relative error {relative}");
    }

    [Fact]
    public void ErrorIsTheDiscardedSingularValues()
    {
        // A gently decaying spectrum, as a fine-tuning delta's (σ7/σ6 = 0.8, so four power rounds leave the span slightly short of
        // converged): the rank-6 error must be within half a percent of the best rank-6 matrix's, and never below it.
        double[] s = [.. Enumerable.Range(0, 40).Select(i => Math.Pow(0.8, i))];
        const int Rows = 96, Columns = 72, Rank = 6;
        float[] m = WithSpectrum(Rows, Columns, s, seed: 7);
        var (b, a) = LowRankApproximation.Fit(m, Rows, Columns, Rank);
        double optimal = s.Skip(Rank).Sum(v => v * v);
        double found = SquaredError(m, Product(b, a, Rows, Columns, Rank));
        Assert.InRange(found / optimal, 1 - 1e-4, 1.005);
    }

    [Fact]
    public void BHasOrthonormalColumnsAndTheZeroMatrixGivesZero()
    {
        const int Rows = 33, Columns = 17, Rank = 4;
        float[] m = WithSpectrum(Rows, Columns, [5, 4, 3, 2, 1, 0.5], seed: 3);
        var (b, _) = LowRankApproximation.Fit(m, Rows, Columns, Rank);
        for (int i = 0; i < Rank; i++)
            for (int j = 0; j < Rank; j++)
            {
                double dot = Enumerable.Range(0, Rows).Sum(r => (double)b[r * Rank + i] * b[r * Rank + j]);
                Assert.Equal(i == j ? 1 : 0, dot, 1e-6);
            }

        var (zb, za) = LowRankApproximation.Fit(new float[Rows * Columns], Rows, Columns, Rank);
        Assert.All(za, v => Assert.Equal(0f, v));
        Assert.All(zb, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void IsDeterministicForASeed()
    {
        float[] m = WithSpectrum(40, 30, [3, 2, 1, 0.5, 0.25], seed: 11);
        var first = LowRankApproximation.Fit(m, 40, 30, 3, seed: 5);
        var second = LowRankApproximation.Fit(m, 40, 30, 3, seed: 5);
        Assert.Equal(first.B, second.B);
        Assert.Equal(first.A, second.A);
    }

    [Fact]
    public void RefusesImpossibleShapes()
    {
        var m = new float[12];
        Assert.Throws<ArgumentException>(() => LowRankApproximation.Fit(m, 3, 5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LowRankApproximation.Fit(m, 3, 4, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LowRankApproximation.Fit(m, 3, 4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => LowRankApproximation.Fit(m, 0, 4, 1));
    }
}
