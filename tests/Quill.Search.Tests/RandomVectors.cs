// Seeded random unit vectors for the search tests; not a data set of real embeddings.
namespace Quill.Search.Tests;

internal static class RandomVectors
{
    /// <summary>(count, dims) row-major, each row Gaussian then L2-normalised: uniform on the sphere.</summary>
    public static float[] UnitRows(int count, int dims, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * dims];
        for (int r = 0; r < count; r++)
        {
            Span<float> row = rows.AsSpan(r * dims, dims);
            double norm = 0;
            for (int i = 0; i < dims; i++)
            {
                // Box–Muller: enough for test data.
                double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                row[i] = (float)g;
                norm += g * g;
            }
            float scale = (float)(1 / Math.Sqrt(norm));
            for (int i = 0; i < dims; i++) row[i] *= scale;
        }
        return rows;
    }

    public static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
