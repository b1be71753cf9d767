// Writes a DriftReport as the JSON `quill monitor drift --json` prints; non-finite numbers (an infinite KL) are written as null.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Quill.Monitoring.Drift;

namespace Quill.Monitoring.Reports;

/// <summary>
/// <c>{"reference", "current", "columns": [{"name", "kind", "drift", "rule", "score", "threshold", "reference_count",
/// "current_count", "tests": {"ks": {"statistic", "p_value", "exact"}, "wasserstein": {"value", "normed"}, "psi": {"value",
/// "level"}, "chi2": {"statistic", "p_value", "dof"}, "jensen_shannon": {"value"}, "kl": {"value"}, "domain_classifier":
/// {"auc", "threshold"}, "mmd": {"value", "p_value", "bandwidth"}}}], "drift_share", "drifted_columns", "dataset_drift"}</c>
/// (dataset_drift: at least half the columns drifted, Evidently's default); a test that
/// does not apply to the column's kind is left out.
/// </summary>
public static class DriftJson
{
    /// <summary>The report as indented JSON.</summary>
    public static string Write(DriftReport report, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("reference", report.Reference);
            w.WriteString("current", report.Current);
            w.WriteStartArray("columns");
            foreach (ColumnDrift c in report.Columns) WriteColumn(w, c);
            w.WriteEndArray();
            w.WriteNumber("drift_share", report.DriftShare);
            w.WriteNumber("drifted_columns", report.Columns.Count(c => c.Drift));
            w.WriteBoolean("dataset_drift", report.DatasetDrift);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteColumn(Utf8JsonWriter w, ColumnDrift c)
    {
        w.WriteStartObject();
        w.WriteString("name", c.Name);
        w.WriteString("kind", ColumnKinds.Name(c.Kind));
        w.WriteBoolean("drift", c.Drift);
        w.WriteString("rule", c.Rule);
        Number(w, "score", c.Score);
        Number(w, "threshold", c.Threshold);
        w.WriteNumber("reference_count", c.ReferenceCount);
        w.WriteNumber("current_count", c.CurrentCount);
        w.WriteStartObject("tests");
        DriftTests t = c.Tests;
        if (t.Ks is { } ks) Object(w, "ks", ("statistic", ks.Statistic), ("p_value", ks.PValue), ("exact", ks.Exact ? 1 : 0));
        if (t.Wasserstein is { } wd) Object(w, "wasserstein", ("value", wd), ("normed", t.WassersteinNormed ?? double.NaN));
        if (t.Psi is { } psi)
        {
            w.WriteStartObject("psi");
            Number(w, "value", psi.Value);
            w.WriteString("level", psi.Level);
            w.WriteEndObject();
        }
        if (t.ChiSquare is { } chi) Object(w, "chi2", ("statistic", chi.Statistic), ("p_value", chi.PValue), ("dof", chi.DegreesOfFreedom));
        if (t.JensenShannon is { } js) Object(w, "jensen_shannon", ("value", js));
        if (t.KullbackLeibler is { } kl) Object(w, "kl", ("value", kl));
        if (t.DomainClassifier is { } dc) Object(w, "domain_classifier", ("auc", dc.Auc), ("threshold", dc.Threshold), ("shuffled_mean", dc.ShuffledMean));
        if (t.Mmd is { } mmd) Object(w, "mmd", ("value", mmd.Value), ("p_value", mmd.PValue), ("bandwidth", mmd.Bandwidth));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Object(Utf8JsonWriter w, string name, params (string Name, double Value)[] fields)
    {
        w.WriteStartObject(name);
        foreach (var (field, value) in fields)
        {
            if (field == "exact") w.WriteBoolean(field, value != 0);
            else if (field == "dof") w.WriteNumber(field, (int)value);
            else Number(w, field, value);
        }
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}
