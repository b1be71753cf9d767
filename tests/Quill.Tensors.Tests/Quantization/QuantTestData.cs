// Seeded inputs and the size/width tables the quantization tests run over; not assertions.
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

internal static class QuantTestData
{
    /// <summary>Row lengths in elements: 0, 1, 2, 31, 33, 256 and 4097 blocks of 32.</summary>
    public static readonly int[] RowLengths = [0, 32, 64, 992, 1056, 8192, 131104];

    /// <summary>The names of every SIMD width this machine runs, Scalar first.</summary>
    public static IEnumerable<string> Widths() => SimdCapability.Supported().Select(w => w.ToString());

    public static SimdWidth Width(string name) => Enum.Parse<SimdWidth>(name);

    /// <summary>Roughly normal floats with a few large outliers per block, like real weights and activations.</summary>
    public static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u = random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5;
            values[i] = (float)(u * (random.Next(40) == 0 ? 20.0 : 1.0));
        }

        return values;
    }

    /// <summary>Every (row length, width) pair.</summary>
    public static TheoryData<int, string> LengthsAndWidths()
    {
        var data = new TheoryData<int, string>();
        foreach (int length in RowLengths)
        {
            foreach (string width in Widths())
            {
                data.Add(length, width);
            }
        }

        return data;
    }

    /// <summary>|a - b| / sum|w_i x_i| for a dot product; 0 when both are 0.</summary>
    public static double RelativeError(double actual, double expected, double magnitude) =>
        actual == expected ? 0 : Math.Abs(actual - expected) / Math.Max(magnitude, 1e-30);
}
