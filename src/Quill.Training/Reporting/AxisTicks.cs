// "Nice" axis tick values (1, 2 or 5 times a power of ten) and their short labels.
using System.Globalization;

namespace Quill.Training.Reporting;

public static class AxisTicks
{
    /// <summary>
    /// The multiples of a nice step that lie in [<paramref name="low"/>, <paramref name="high"/>], at most about
    /// <paramref name="targetCount"/> of them. With <paramref name="integers"/> the step is at least 1 (for step counts).
    /// </summary>
    public static double[] Compute(double low, double high, int targetCount, bool integers, out double step)
    {
        step = NiceStep((high - low) / Math.Max(1, targetCount));
        if (integers) step = Math.Max(1, step);
        if (!(high > low) || !double.IsFinite(step) || step <= 0) return double.IsFinite(low) ? [low] : [];
        var ticks = new List<double>();
        double first = Math.Ceiling(low / step - 1e-9);
        for (double k = first; k * step <= high + step * 1e-9; k++)
            ticks.Add(k * step);
        return ticks.ToArray();
    }

    /// <summary>The smallest of 1, 2, 5, 10 times a power of ten that is at least <paramref name="raw"/>.</summary>
    public static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        double nice = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;
        return nice * magnitude;
    }

    /// <summary>A label for a tick <paramref name="value"/> on an axis with spacing <paramref name="step"/>: just enough decimals, or an exponent for very
    /// large or small values.</summary>
    public static string Label(double value, double step)
    {
        if (Math.Abs(value) < step * 1e-6) return "0";
        double magnitude = Math.Abs(value);
        if (magnitude >= 1e6 || step < 1e-4)
        {
            int significant = Math.Clamp((int)Math.Floor(Math.Log10(magnitude)) - (int)Math.Floor(Math.Log10(step)) + 1, 1, 6);
            string mantissa = "0." + new string('#', significant - 1);
            return value.ToString(mantissa + "e-0", CultureInfo.InvariantCulture);
        }
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 6);
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
