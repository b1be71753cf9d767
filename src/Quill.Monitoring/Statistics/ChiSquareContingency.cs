// Pearson's chi-square test of independence on a contingency table, as scipy.stats.chi2_contingency (Yates' correction on by default).
namespace Quill.Monitoring.Statistics;

/// <summary>The test's statistic, p-value and degrees of freedom.</summary>
public sealed record ChiSquareResult(double Statistic, double PValue, int DegreesOfFreedom);

/// <summary>
/// Expected counts are row total × column total / grand total; dof = (rows − 1)(columns − 1). With one degree of
/// freedom and <c>correction</c> (SciPy's default) every observed count moves 0.5 towards its expected count, or all
/// the way when closer (Yates). dof = 0 gives statistic 0, p-value 1. A zero expected count is refused, as SciPy does.
/// </summary>
public static class ChiSquareContingency
{
    /// <summary>Tests <paramref name="observed"/> (rows × columns of counts).</summary>
    public static ChiSquareResult Test(double[,] observed, bool correction = true)
    {
        int rows = observed.GetLength(0), columns = observed.GetLength(1);
        if (rows == 0 || columns == 0) throw new ArgumentException("the contingency table is empty");
        var rowSums = new double[rows];
        var columnSums = new double[columns];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double o = observed[r, c];
                if (o < 0) throw new ArgumentException($"the contingency table has a negative count {o} at ({r}, {c})");
                rowSums[r] += o;
                columnSums[c] += o;
                total += o;
            }
        }
        int dof = rows * columns - rows - columns + 1;
        if (dof == 0) return new ChiSquareResult(0, 1, 0);
        double statistic = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double expected = rowSums[r] * columnSums[c] / total;
                if (expected == 0) throw new ArgumentException($"the expected count at ({r}, {c}) is zero: a row or column of the table is all zeros");
                double o = observed[r, c];
                if (dof == 1 && correction)
                {
                    double diff = expected - o;
                    o += Math.Sign(diff) * Math.Min(0.5, Math.Abs(diff));
                }
                statistic += (o - expected) * (o - expected) / expected;
            }
        }
        return new ChiSquareResult(statistic, SpecialFunctions.ChiSquareSurvival(statistic, dof), dof);
    }
}
