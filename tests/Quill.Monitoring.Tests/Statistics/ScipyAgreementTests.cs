// The statistics against SciPy on many generated sample pairs: statistics within 1e-9, p-values within 1e-6 relative.
using System.Text.Json.Nodes;
using Quill.Monitoring.Statistics;

namespace Quill.Monitoring.Tests.Statistics;

public sealed class ScipyAgreementTests
{
    private const double StatisticTolerance = 1e-9;
    private const double PValueRelativeTolerance = 1e-6;

    /// <summary>Sizes from one value to beyond the exact limit, equal and unequal, with and without ties.</summary>
    private static readonly (int N1, int N2, double Shift, bool Ties)[] KsPairs =
    [
        (1, 1, 0, false), (1, 5, 0.5, false), (3, 7, 0, true), (10, 10, 0.3, false), (10, 10, 1.5, false), (31, 33, 0.2, true),
        (50, 50, 0, true), (100, 80, 0.4, false), (200, 300, 0.1, true), (257, 256, 0, false), (1000, 999, 0.05, false),
        (2000, 2000, 0.1, true), (3000, 500, 0.2, true), (4097, 33, 0.6, false), (10000, 9999, 0.02, false),
        (10001, 50, 0.3, false), (12000, 11000, 0.03, true), (15000, 15000, 0.05, false), (20000, 300, 0.1, false),
        (10500, 10400, 0, false), (11000, 140, 0.2, false), (30000, 25000, 0.02, true),
    ];

    [Fact]
    public void KsTwoSampleMatchesScipy()
    {
        var random = new Random(16);
        var cases = new JsonArray();
        var samples = new List<(double[] A, double[] B)>();
        var pairs = KsPairs.ToList();
        for (int i = 0; i < 80; i++) // and random small ones, where the exact path has the most branches
            pairs.Add((1 + random.Next(i < 40 ? 40 : 600), 1 + random.Next(i < 40 ? 40 : 600), random.NextDouble(), random.Next(2) == 0));
        foreach (var (n1, n2, shift, ties) in pairs)
        {
            double[] a = Sample(random, n1, 0, ties), b = Sample(random, n2, shift, ties);
            samples.Add((a, b));
            cases.Add(new JsonObject { ["kind"] = "ks", ["a"] = ScipyOracle.Numbers(a), ["b"] = ScipyOracle.Numbers(b) });
        }
        JsonArray expected = ScipyOracle.Run(cases);
        for (int i = 0; i < samples.Count; i++)
        {
            KsResult ours = KolmogorovSmirnov.TwoSample(samples[i].A, samples[i].B);
            string what = $"ks_2samp n1={samples[i].A.Length} n2={samples[i].B.Length}";
            AssertClose(ScipyOracle.Number(expected[i], "statistic"), ours.Statistic, what + " statistic");
            AssertRelative(ScipyOracle.Number(expected[i], "p_value"), ours.PValue, what + " p-value");
        }
    }

    [Fact]
    public void KolmogorovDistributionMatchesScipyKstwoOnEveryBranch()
    {
        int[] sizes = [1, 2, 5, 31, 50, 140, 141, 1000, 4097, 5000, 100001];
        double[] xs = [0.001, 0.004, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.95];
        var cases = new JsonArray();
        var points = new List<(int N, double X)>();
        foreach (int n in sizes)
        {
            foreach (double x in xs)
            {
                points.Add((n, x));
                cases.Add(new JsonObject { ["kind"] = "kstwo", ["n"] = n, ["x"] = x });
            }
        }
        JsonArray expected = ScipyOracle.Run(cases);
        for (int i = 0; i < points.Count; i++)
        {
            var (n, x) = points[i];
            AssertRelative(ScipyOracle.Number(expected[i], "value"), KolmogorovDistribution.Survival(n, x), $"kstwo.sf({x}, {n})");
        }
    }

    [Fact]
    public void WassersteinMatchesScipy()
    {
        var random = new Random(7);
        int[] sizes = [1, 2, 31, 33, 100, 4097];
        var cases = new JsonArray();
        var samples = new List<(double[] A, double[] B)>();
        foreach (int n1 in sizes)
        {
            int n2 = Math.Max(1, n1 / 2 + 1);
            double[] a = Sample(random, n1, 0, n1 % 2 == 1), b = Sample(random, n2, 0.7, false);
            samples.Add((a, b));
            cases.Add(new JsonObject { ["kind"] = "wasserstein", ["a"] = ScipyOracle.Numbers(a), ["b"] = ScipyOracle.Numbers(b) });
        }
        JsonArray expected = ScipyOracle.Run(cases);
        for (int i = 0; i < samples.Count; i++)
            AssertClose(ScipyOracle.Number(expected[i], "value"), Wasserstein.Distance(samples[i].A, samples[i].B), $"wasserstein case {i}");
    }

    [Fact]
    public void ChiSquareContingencyMatchesScipyWithYatesOnTwoByTwo()
    {
        var random = new Random(3);
        var tables = new List<double[,]>
        {
            new double[,] { { 10, 20 }, { 30, 40 } }, new double[,] { { 1, 0 }, { 0, 1 } }, new double[,] { { 12, 5 }, { 7, 7 } },
            new double[,] { { 100, 120, 90 }, { 110, 80, 130 } }, new double[,] { { 5, 3 } }, new double[,] { { 500, 10, 20, 1, 7 }, { 400, 60, 21, 3, 9 } },
        };
        for (int t = 0; t < 20; t++)
        {
            int rows = 2, columns = 2 + t % 9;
            var table = new double[rows, columns];
            for (int r = 0; r < rows; r++) for (int c = 0; c < columns; c++) table[r, c] = 1 + random.Next(t < 10 ? 30 : 3000);
            tables.Add(table);
        }
        var cases = new JsonArray();
        foreach (double[,] table in tables)
        {
            var rowsJson = new JsonArray();
            for (int r = 0; r < table.GetLength(0); r++)
                rowsJson.Add(ScipyOracle.Numbers(Enumerable.Range(0, table.GetLength(1)).Select(c => table[r, c])));
            cases.Add(new JsonObject { ["kind"] = "chi2", ["table"] = rowsJson });
        }
        JsonArray expected = ScipyOracle.Run(cases);
        for (int i = 0; i < tables.Count; i++)
        {
            ChiSquareResult ours = ChiSquareContingency.Test(tables[i]);
            AssertClose(ScipyOracle.Number(expected[i], "statistic"), ours.Statistic, $"chi2 table {i} statistic");
            AssertRelative(ScipyOracle.Number(expected[i], "p_value"), ours.PValue, $"chi2 table {i} p-value");
            Assert.Equal((int)ScipyOracle.Number(expected[i], "dof"), ours.DegreesOfFreedom);
        }
    }

    [Fact]
    public void ChiSquareSurvivalMatchesScipyIntoTheTail()
    {
        double[] dofs = [1, 2, 3, 7, 30, 99, 500];
        double[] xs = [0.001, 0.5, 1, 3.84, 10, 50, 200, 700, 1500];
        var cases = new JsonArray();
        foreach (double dof in dofs) foreach (double x in xs) cases.Add(new JsonObject { ["kind"] = "chi2sf", ["x"] = x, ["dof"] = dof });
        JsonArray expected = ScipyOracle.Run(cases);
        int i = 0;
        foreach (double dof in dofs)
        {
            foreach (double x in xs)
                AssertRelative(ScipyOracle.Number(expected[i++], "value"), SpecialFunctions.ChiSquareSurvival(x, dof), $"chi2.sf({x}, {dof})");
        }
    }

    [Fact]
    public void EntropyAndJensenShannonMatchScipy()
    {
        var random = new Random(11);
        var pairs = new List<(double[] P, double[] Q)> { ([1, 0, 3], [2, 2, 2]), ([0.5, 0.5], [0.9, 0.1]), ([1], [1]) };
        foreach (int bins in (int[])[2, 5, 10, 31, 33])
        {
            double[] p = [.. Enumerable.Range(0, bins).Select(_ => (double)random.Next(1, 50))];
            pairs.Add((p, [.. Enumerable.Range(0, bins).Select(_ => (double)random.Next(0, 50))]));
        }
        var cases = new JsonArray();
        foreach (var (p, q) in pairs)
        {
            cases.Add(new JsonObject { ["kind"] = "entropy", ["a"] = ScipyOracle.Numbers(p), ["b"] = ScipyOracle.Numbers(q) });
            cases.Add(new JsonObject { ["kind"] = "jensenshannon", ["a"] = ScipyOracle.Numbers(p), ["b"] = ScipyOracle.Numbers(q) });
        }
        JsonArray expected = ScipyOracle.Run(cases);
        for (int i = 0; i < pairs.Count; i++)
        {
            AssertClose(ScipyOracle.Number(expected[2 * i], "value"), Divergence.KullbackLeibler(pairs[i].P, pairs[i].Q), $"entropy pair {i}");
            AssertClose(ScipyOracle.Number(expected[2 * i + 1], "value"), Divergence.JensenShannon(pairs[i].P, pairs[i].Q), $"jensenshannon pair {i}");
        }
    }

    /// <summary>Normal draws (Box–Muller) shifted by <paramref name="shift"/>; with <paramref name="ties"/>, rounded to one decimal.</summary>
    private static double[] Sample(Random random, int n, double shift, bool ties)
    {
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double v = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2) + shift;
            values[i] = ties ? Math.Round(v, 1) : v;
        }
        return values;
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(expected.Equals(actual) || Math.Abs(expected - actual) <= StatisticTolerance, $"{what}: SciPy {expected:R}, Quill {actual:R}");

    private static void AssertRelative(double expected, double actual, string what)
    {
        double error = expected == actual ? 0 : Math.Abs(expected - actual) / Math.Max(Math.Abs(expected), double.Epsilon);
        Assert.True(error <= PValueRelativeTolerance, $"{what}: SciPy {expected:R}, Quill {actual:R} (relative error {error:G3})");
    }
}
