// The 2-D principal-component projection of a set of vectors, for the report's picture of two embedding sets; power iteration, no library.
namespace Quill.Monitoring.Statistics;

/// <summary>
/// Centres the rows on their mean, finds the top two eigenvectors of their covariance by power iteration (the second
/// after deflating the first) and returns each row's coordinates on them. Deterministic: the start vectors are fixed.
/// </summary>
public static class PrincipalComponents
{
    /// <summary>(x, y) of each row of <paramref name="rows"/> on the first two principal components.</summary>
    public static (double X, double Y)[] Project2D(IReadOnlyList<float[]> rows, int iterations = 100)
    {
        if (rows.Count == 0) return [];
        int n = rows.Count, d = rows[0].Length;
        var mean = new double[d];
        foreach (float[] r in rows) for (int j = 0; j < d; j++) mean[j] += r[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var centred = new double[n][];
        for (int i = 0; i < n; i++)
        {
            centred[i] = new double[d];
            for (int j = 0; j < d; j++) centred[i][j] = rows[i][j] - mean[j];
        }
        double[] first = TopComponent(centred, null, iterations);
        double[] second = TopComponent(centred, first, iterations);
        var points = new (double, double)[n];
        for (int i = 0; i < n; i++) points[i] = (Dot(centred[i], first), Dot(centred[i], second));
        return points;
    }

    private static double[] TopComponent(double[][] x, double[]? orthogonalTo, int iterations)
    {
        int d = x[0].Length;
        var v = new double[d];
        for (int j = 0; j < d; j++) v[j] = 1.0 / Math.Sqrt(d) * (1 + 0.01 * (j % 7)); // fixed, not orthogonal to anything typical
        for (int it = 0; it < iterations; it++)
        {
            if (orthogonalTo is not null) Deflate(v, orthogonalTo);
            var next = new double[d];
            foreach (double[] row in x)
            {
                double p = Dot(row, v);
                for (int j = 0; j < d; j++) next[j] += p * row[j];
            }
            if (orthogonalTo is not null) Deflate(next, orthogonalTo);
            double norm = Math.Sqrt(Dot(next, next));
            if (norm == 0) return v;
            for (int j = 0; j < d; j++) v[j] = next[j] / norm;
        }
        return v;
    }

    private static void Deflate(double[] v, double[] u)
    {
        double p = Dot(v, u);
        for (int j = 0; j < v.Length; j++) v[j] -= p * u[j];
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }
}
