// A rank-r approximation B·A of a matrix by subspace iteration: how a whole-weight fine-tune's change is stored as small adapters.
using Quill.Tensors;

namespace Quill.Training.Lora;

/// <summary>
/// Approximates a (rows, columns) matrix M by B·A with B (rows, rank) orthonormal columns and A = Bᵀ·M (rank, columns): the
/// projection of M onto the span B finds by randomized subspace iteration (Halko, Martinsson and Tropp 2011; a Gaussian
/// start, <see cref="Iterations"/> rounds of M·Mᵀ, re-orthonormalised each round). With enough rounds the span is M's
/// top-<c>rank</c> left singular space, so the error approaches the optimal rank-r one (Eckart–Young; within half a percent
/// for a spectrum decaying by 0.8 a step). Computed in double;
/// deterministic for a seed. Load-time and save-time work, not a per-token kernel.
/// </summary>
public static class LowRankApproximation
{
    /// <summary>Power rounds after the first product.</summary>
    public const int Iterations = 4;

    /// <summary>B (rows, rank) and A (rank, columns), row-major, with B·A ≈ <paramref name="matrix"/>.</summary>
    public static (float[] B, float[] A) Fit(ReadOnlySpan<float> matrix, int rows, int columns, int rank, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (matrix.Length != (long)rows * columns)
            throw new ArgumentException($"expected {rows} × {columns} = {(long)rows * columns} values, found {matrix.Length}", nameof(matrix));
        if (rank < 1 || rank > Math.Min(rows, columns))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"expected a rank from 1 to {Math.Min(rows, columns)}");

        var m = new double[matrix.Length];
        for (int i = 0; i < m.Length; i++) m[i] = matrix[i];
        var rng = new SplitMix64(seed);
        var omega = new double[columns * rank];
        for (int i = 0; i < omega.Length; i++) omega[i] = Gaussian(rng);

        var y = new double[rows * rank];
        var z = new double[columns * rank];
        Multiply(m, rows, columns, omega, rank, y);
        Orthonormalize(y, rows, rank);
        for (int round = 0; round < Iterations; round++)
        {
            MultiplyTransposed(m, rows, columns, y, rank, z);
            Orthonormalize(z, columns, rank);
            Multiply(m, rows, columns, z, rank, y);
            Orthonormalize(y, rows, rank);
        }
        MultiplyTransposed(m, rows, columns, y, rank, z);

        var b = new float[rows * rank];
        for (int i = 0; i < b.Length; i++) b[i] = (float)y[i];
        var a = new float[rank * columns];
        for (int c = 0; c < columns; c++)
            for (int k = 0; k < rank; k++) a[k * columns + c] = (float)z[c * rank + k];
        return (b, a);
    }

    /// <summary>out (rows, k) = M (rows, columns) · x (columns, k).</summary>
    private static void Multiply(double[] m, int rows, int columns, double[] x, int k, double[] result)
    {
        Array.Clear(result);
        for (int r = 0; r < rows; r++)
        {
            var target = result.AsSpan(r * k, k);
            for (int c = 0; c < columns; c++)
            {
                double v = m[r * columns + c];
                if (v == 0) continue;
                var source = x.AsSpan(c * k, k);
                for (int j = 0; j < k; j++) target[j] += v * source[j];
            }
        }
    }

    /// <summary>out (columns, k) = Mᵀ · x (rows, k).</summary>
    private static void MultiplyTransposed(double[] m, int rows, int columns, double[] x, int k, double[] result)
    {
        Array.Clear(result);
        for (int r = 0; r < rows; r++)
        {
            var source = x.AsSpan(r * k, k);
            for (int c = 0; c < columns; c++)
            {
                double v = m[r * columns + c];
                if (v == 0) continue;
                var target = result.AsSpan(c * k, k);
                for (int j = 0; j < k; j++) target[j] += v * source[j];
            }
        }
    }

    /// <summary>Modified Gram–Schmidt, twice, on the k columns of q (n, k); a column that vanishes is replaced by a unit axis orthogonal to the rest.</summary>
    private static void Orthonormalize(double[] q, int n, int k)
    {
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < k; j++)
            {
                for (int i = 0; i < j; i++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++) dot += q[r * k + i] * q[r * k + j];
                    for (int r = 0; r < n; r++) q[r * k + j] -= dot * q[r * k + i];
                }
                double norm = 0;
                for (int r = 0; r < n; r++) norm += q[r * k + j] * q[r * k + j];
                norm = Math.Sqrt(norm);
                if (norm > 1e-300)
                {
                    for (int r = 0; r < n; r++) q[r * k + j] /= norm;
                    continue;
                }
                // M has rank below k here: any direction orthogonal to the others serves (its A row comes out zero).
                for (int axis = 0; axis < n; axis++)
                {
                    for (int r = 0; r < n; r++) q[r * k + j] = r == axis ? 1 : 0;
                    for (int i = 0; i < j; i++)
                    {
                        double dot = q[axis * k + i];
                        for (int r = 0; r < n; r++) q[r * k + j] -= dot * q[r * k + i];
                    }
                    norm = 0;
                    for (int r = 0; r < n; r++) norm += q[r * k + j] * q[r * k + j];
                    if (norm < 0.25) continue;
                    norm = Math.Sqrt(norm);
                    for (int r = 0; r < n; r++) q[r * k + j] /= norm;
                    break;
                }
            }
    }

    private static double Gaussian(SplitMix64 rng)
    {
        double u = 1 - rng.NextDouble(), v = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
