// The weight quantizers (K-quants and the 32-element formats) against ggml's own quantize_* (no-AVX build): byte-identical with and
// without an importance matrix on rows built to reach every branch; the AVX-512 build's bytes; a loose round-trip bound.
using Quill.Tensors.Quantization;
using Xunit.Abstractions;

namespace Quill.Tensors.Tests.Quantization;

public class KQuantQuantizeTests(ITestOutputHelper output)
{
    public static TheoryData<GgmlType, string> Types => new()
    {
        { GgmlType.Q2_K, "q2_K" },
        { GgmlType.Q3_K, "q3_K" },
        { GgmlType.Q4_K, "q4_K" },
        { GgmlType.Q5_K, "q5_K" },
        { GgmlType.Q6_K, "q6_K" },
        { GgmlType.Q4_0, "q4_0" },
        { GgmlType.Q4_1, "q4_1" },
        { GgmlType.Q5_0, "q5_0" },
        { GgmlType.Q5_1, "q5_1" },
        { GgmlType.Q8_0, "q8_0" },
    };

    private static readonly int[] KLengths = [256, 512, 4096];
    private static readonly int[] LegacyLengths = [32, 96, 256, 512, 4096];

    /// <summary>Row shapes: plain distributions, and the edges of every branch (exact zeros, zero sub-blocks, constant rows,
    /// magnitudes where the fp16 scales go subnormal or vanish, one-signed rows that clamp the minimum).</summary>
    private static readonly (string Name, Func<int, Random, float[]> Make)[] Shapes =
    [
        ("gaussian", (n, r) => Fill(n, _ => Gaussian(r))),
        ("uniform", (n, r) => Fill(n, _ => r.NextSingle() * 2 - 1)),
        ("outliers", (n, r) => Fill(n, _ => Gaussian(r) * (r.Next(64) == 0 ? 100 : 1))),
        ("exact zeros", (n, r) => Fill(n, _ => r.Next(3) == 0 ? 0 : Gaussian(r))),
        ("zero sub-blocks", (n, r) => Fill(n, i => i / 16 % 3 == 0 ? 0 : Gaussian(r))),
        ("all zero", (n, _) => new float[n]),
        ("constant", (n, _) => Fill(n, _ => 0.37f)),
        ("negative constant", (n, _) => Fill(n, _ => -2.5f)),
        ("tiny 1e-6", (n, r) => Fill(n, _ => Gaussian(r) * 1e-6f)),
        ("tiny 1e-12", (n, r) => Fill(n, _ => Gaussian(r) * 1e-12f)),
        ("tiny 1e-25 (subnormal products)", (n, r) => Fill(n, _ => Gaussian(r) * 1e-25f)),
        ("huge 1e4", (n, r) => Fill(n, _ => Gaussian(r) * 1e4f)),
        ("huge 1e19 (x² overflows)", (n, r) => Fill(n, _ => Gaussian(r) * 1e19f)),
        ("negative only", (n, r) => Fill(n, _ => -MathF.Abs(Gaussian(r)))),
        ("positive only", (n, r) => Fill(n, _ => MathF.Abs(Gaussian(r)))),
        ("block scales 1e-3..1e3", (n, r) => BlockScaled(n, r)),
    ];

    /// <summary>Importance vectors (one per column); null is ggml's imatrix == NULL.</summary>
    private static readonly (string Name, Func<int, Random, float[]?> Make)[] Importances =
    [
        ("none", (_, _) => null),
        ("random", (n, r) => Fill(n, _ => MathF.Exp(Gaussian(r)))),
        ("some zeros", (n, r) => Fill(n, _ => r.Next(4) == 0 ? 0 : MathF.Exp(Gaussian(r)))),
        ("ones", (n, _) => Fill(n, _ => 1)),
        ("zero sub-blocks", (n, r) => Fill(n, i => i < 32 || i / 16 % 5 == 2 ? 0 : r.NextSingle() * 10)),
    ];

    [Theory, MemberData(nameof(Types))]
    public void QuantizeMatchesGgmlByteForByte(GgmlType type, string name)
    {
        QuantFormat format = QuantFormats.Get(type);
        int[] lengths = format.BlockSize == 256 ? KLengths : LegacyLengths;
        var mismatches = new List<string>();
        int rows = 0, weightedRows = 0;
        foreach (int n in lengths)
        {
            for (int s = 0; s < Shapes.Length; s++)
            {
                for (int w = 0; w < Importances.Length; w++)
                {
                    var random = new Random(1000 * n + 10 * s + w);
                    float[] x = Shapes[s].Make(n, random);
                    float[]? importance = Importances[w].Make(n, random);
                    byte[] theirs = new byte[format.RowBytes(n)];
                    byte[] ours = new byte[theirs.Length];
                    Assert.Equal(theirs.Length, KNativeGgml.Quantize(name, x, theirs, 1, importance));
                    if (importance is null)
                    {
                        format.Quantize!(x, ours);
                    }
                    else
                    {
                        format.QuantizeWeighted!(x, ours, importance);
                        weightedRows++;
                    }
                    rows++;
                    if (!theirs.AsSpan().SequenceEqual(ours))
                    {
                        mismatches.Add($"{Shapes[s].Name}, n={n}, importance {Importances[w].Name}: {FirstDifference(theirs, ours, format.BlockBytes)}");
                    }
                }
            }
        }
        output.WriteLine($"{type}: {rows - mismatches.Count}/{rows} rows byte-identical ({weightedRows} with importance)");
        Assert.True(mismatches.Count == 0, $"{type}: {mismatches.Count} of {rows} rows differ from ggml:\n{string.Join("\n", mismatches.Take(12))}");
    }

    // ggml quantizes several rows in one call; each must match the row quantized alone (the 32-element formats' importance path
    // takes σ² over the whole row).
    [Theory, MemberData(nameof(Types))]
    public void SeveralRowsMatchGgmlRowByRow(GgmlType type, string name)
    {
        QuantFormat format = QuantFormats.Get(type);
        const int rowCount = 3;
        int n = format.BlockSize == 256 ? 512 : 96;
        var random = new Random(7);
        float[] x = Fill(rowCount * n, i => Gaussian(random) * (1 + i / n * 3));
        float[] importance = Fill(n, _ => MathF.Exp(Gaussian(random)));
        int rowBytes = format.RowBytes(n);
        foreach (float[]? weights in new[] { null, importance })
        {
            byte[] theirs = new byte[rowCount * rowBytes];
            byte[] ours = new byte[theirs.Length];
            KNativeGgml.Quantize(name, x, theirs, rowCount, weights);
            for (int row = 0; row < rowCount; row++)
            {
                ReadOnlySpan<float> source = x.AsSpan(row * n, n);
                Span<byte> destination = ours.AsSpan(row * rowBytes, rowBytes);
                if (weights is null)
                {
                    format.Quantize!(source, destination);
                }
                else
                {
                    format.QuantizeWeighted!(source, destination, weights);
                }
            }
            Assert.Equal(theirs, ours);
        }
    }

    // llama.cpp on this machine loads the AVX-512 build; its libggml-base (where quantize_* live) must write the same bytes.
    [Theory, MemberData(nameof(Types))]
    public void Avx512BuildWritesTheSameBytes(GgmlType type, string name)
    {
        QuantFormat format = QuantFormats.Get(type);
        foreach (string build in new[] { "avx2", "avx512" })
        {
            for (int s = 0; s < Shapes.Length; s++)
            {
                var random = new Random(s);
                const int n = 4096;
                float[] x = Shapes[s].Make(n, random);
                foreach (float[]? importance in new[] { null, Importances[2].Make(n, random) })
                {
                    byte[] reference = new byte[format.RowBytes(n)];
                    byte[] built = new byte[reference.Length];
                    byte[] ours = new byte[reference.Length];
                    KNativeGgml.Quantize(name, x, reference, 1, importance);
                    KNativeGgml.Quantize(build, name, x, built, 1, importance);
                    if (importance is null)
                    {
                        format.Quantize!(x, ours);
                    }
                    else
                    {
                        format.QuantizeWeighted!(x, ours, importance);
                    }
                    Assert.True(reference.AsSpan().SequenceEqual(built),
                        $"{build} {type} {Shapes[s].Name}: {FirstDifference(reference, built, format.BlockBytes)}");
                    Assert.Equal(reference, ours);
                }
            }
        }
    }

    /// <summary>RMS(x − dequantize(quantize(x))) / RMS(x) on Gaussian rows must stay below these (about twice what ggml reaches).</summary>
    public static TheoryData<GgmlType, double> RoundTripBounds => new()
    {
        { GgmlType.Q2_K, 0.50 },
        { GgmlType.Q3_K, 0.30 },
        { GgmlType.Q4_K, 0.15 },
        { GgmlType.Q5_K, 0.08 },
        { GgmlType.Q6_K, 0.04 },
        { GgmlType.Q4_0, 0.20 },
        { GgmlType.Q4_1, 0.15 },
        { GgmlType.Q5_0, 0.10 },
        { GgmlType.Q5_1, 0.08 },
        { GgmlType.Q8_0, 0.01 },
    };

    [Theory, MemberData(nameof(RoundTripBounds))]
    public void DequantizedRowsStayCloseToTheSource(GgmlType type, double bound)
    {
        QuantFormat format = QuantFormats.Get(type);
        const int n = 4096;
        var random = new Random(11);
        float[] x = Fill(n, _ => Gaussian(random));
        float[] importance = Fill(n, _ => MathF.Exp(Gaussian(random)));
        byte[] blocks = new byte[format.RowBytes(n)];
        float[] back = new float[n];
        format.Quantize!(x, blocks);
        format.DequantizeReference(blocks, back);
        double plain = RelativeRms(x, back);
        byte[] plainBlocks = blocks.ToArray();
        format.QuantizeWeighted!(x, blocks, importance);
        format.DequantizeReference(blocks, back);
        double weighted = RelativeRms(x, back);
        output.WriteLine($"{type}: relative RMS error {plain:F4} plain, {weighted:F4} with importance");
        Assert.InRange(plain, 0, bound);
        Assert.InRange(weighted, 0, bound);
        // Guards the differential tests against an importance path that silently falls back to the plain one (ggml's Q8_0 does).
        Assert.Equal(type != GgmlType.Q8_0, !plainBlocks.AsSpan().SequenceEqual(blocks));
    }

    [Fact]
    public void WrongLengthsThrow()
    {
        QuantFormat q4k = QuantFormats.Get(GgmlType.Q4_K);
        Assert.Throws<ArgumentException>(() => q4k.Quantize!(new float[300], new byte[q4k.RowBytes(256)]));
        Assert.Throws<ArgumentException>(() => q4k.Quantize!(new float[256], new byte[q4k.RowBytes(256) - 1]));
        Assert.Throws<ArgumentException>(() => q4k.QuantizeWeighted!(new float[512], new byte[q4k.RowBytes(512)], new float[256]));
        QuantFormat q4 = QuantFormats.Get(GgmlType.Q4_0);
        Assert.Throws<ArgumentException>(() => q4.QuantizeWeighted!(new float[64], new byte[q4.RowBytes(64)], new float[32]));
        Assert.Throws<ArgumentException>(() => q4.QuantizeWeighted!(new float[40], new byte[q4.RowBytes(32)], new float[40]));
    }

    private static float[] Fill(int n, Func<int, float> value)
    {
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = value(i);
        }
        return values;
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    private static float[] BlockScaled(int n, Random random)
    {
        var values = new float[n];
        float scale = 1;
        for (int i = 0; i < n; i++)
        {
            if (i % 32 == 0)
            {
                scale = MathF.Pow(10, random.NextSingle() * 6 - 3);
            }
            values[i] = Gaussian(random) * scale;
        }
        return values;
    }

    private static double RelativeRms(float[] x, float[] y)
    {
        double error = 0, energy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            error += (x[i] - (double)y[i]) * (x[i] - y[i]);
            energy += (double)x[i] * x[i];
        }
        return Math.Sqrt(error / energy);
    }

    private static string FirstDifference(byte[] expected, byte[] actual, int blockBytes)
    {
        int i = 0;
        while (i < expected.Length && expected[i] == actual[i])
        {
            i++;
        }
        return i == expected.Length ? "identical"
            : $"block {i / blockBytes}, byte {i % blockBytes}: ggml {expected[i]:X2}, ours {actual[i]:X2} ({CountDifferent(expected, actual)} bytes differ)";
    }

    private static int CountDifferent(byte[] a, byte[] b) => a.Zip(b).Count(p => p.First != p.Second);
}
