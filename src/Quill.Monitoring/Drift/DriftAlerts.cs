// How a drift report is announced: one alert line per drifted column (quill monitor watch) and Prometheus gauges (/metrics).
using System.Globalization;
using System.Text;

namespace Quill.Monitoring.Drift;

/// <summary>The alert lines and the metrics text of a <see cref="DriftReport"/>.</summary>
public static class DriftAlerts
{
    /// <summary>
    /// One line per drifted column:
    /// <c>2026-12-06T07:00:00Z DRIFT prompt_tokens (number): ks p_value &lt; 0.05, score 0.0012 vs 0.05 (500 current rows)</c>.
    /// </summary>
    public static IEnumerable<string> Lines(DriftReport report, DateTimeOffset now)
    {
        string time = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        foreach (ColumnDrift c in report.Columns.Where(c => c.Drift))
        {
            yield return $"{time} DRIFT {c.Name} ({ColumnKinds.Name(c.Kind)}): {c.Rule}, score {G(c.Score)} vs {G(c.Threshold)} " +
                $"({c.CurrentCount} current rows)";
        }
    }

    /// <summary>One summary line: how many columns drifted of how many, and the share.</summary>
    public static string Summary(DriftReport report, DateTimeOffset now) =>
        $"{now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)} checked {report.Columns.Count} columns: " +
        $"{report.Columns.Count(c => c.Drift)} drifted (share {G(report.DriftShare)})";

    /// <summary>quill_drift_share, and per column quill_drift_detected, quill_drift_score and quill_drift_threshold (labelled column, kind, rule).</summary>
    public static string Prometheus(DriftReport report)
    {
        var s = new StringBuilder();
        Header(s, "quill_drift_share", "Share of monitored columns that drifted at the last check");
        s.Append("quill_drift_share ").Append(G(report.DriftShare)).Append('\n');
        Header(s, "quill_drift_detected", "1 when the column drifted at the last check, else 0");
        foreach (ColumnDrift c in report.Columns) s.Append("quill_drift_detected").Append(Labels(c)).Append(' ').Append(c.Drift ? '1' : '0').Append('\n');
        Header(s, "quill_drift_score", "The statistic the column's rule compares (a p-value or a distance)");
        foreach (ColumnDrift c in report.Columns) s.Append("quill_drift_score").Append(Labels(c)).Append(' ').Append(G(c.Score)).Append('\n');
        Header(s, "quill_drift_threshold", "The threshold of the column's rule");
        foreach (ColumnDrift c in report.Columns) s.Append("quill_drift_threshold").Append(Labels(c)).Append(' ').Append(G(c.Threshold)).Append('\n');
        return s.ToString();
    }

    private static void Header(StringBuilder s, string name, string help) =>
        s.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" gauge\n");

    private static string Labels(ColumnDrift c) =>
        $"{{column=\"{Escape(c.Name)}\",kind=\"{ColumnKinds.Name(c.Kind)}\",rule=\"{Escape(c.Rule)}\"}}";

    private static string Escape(string v) => v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string G(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
}
