// Writes a DriftReport as one self-contained HTML page: per column its verdict, statistics and an inline SVG picture; no scripts, no external assets.
using System.Globalization;
using System.Net;
using System.Text;
using Quill.Monitoring.Drift;
using Quill.Monitoring.Statistics;

namespace Quill.Monitoring.Reports;

/// <summary>
/// Each column is a <c>&lt;section class="column" data-column="NAME" data-drift="true|false"&gt;</c> holding a table of
/// its statistics and an <c>&lt;svg class="figure"&gt;</c>: overlaid histograms (numbers), paired bars (categories) or the
/// 2-D PCA projection of both embedding sets (text); numbers and categories also get a PSI-per-bin bar chart. Reference
/// is blue, current orange. Everything is inline, so the file can be mailed or archived as is.
/// </summary>
public static class DriftHtml
{
    private const string ReferenceColour = "#1f77b4", CurrentColour = "#ff7f0e";
    private const int Width = 560, Height = 220, Margin = 36;

    /// <summary>The page.</summary>
    public static string Write(DriftReport report, DateTimeOffset? generated = null)
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quill drift report</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}h1{font-size:1.4em}")
            .Append(".column{border:1px solid #ddd;border-radius:6px;padding:1em;margin:1em 0}.verdict{font-weight:600;padding:2px 8px;border-radius:4px}")
            .Append(".drift{background:#fde2e1;color:#a40000}.stable{background:#e3f4e3;color:#1d6b1d}table{border-collapse:collapse;margin:.5em 0}")
            .Append("td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}")
            .Append(".figures{display:flex;flex-wrap:wrap;gap:1em}.legend span{margin-right:1em}svg{background:#fafafa}\n</style></head><body>\n");
        s.Append("<h1>Drift report</h1>\n<p>Reference: <code>").Append(Html(report.Reference)).Append("</code><br>Current: <code>")
            .Append(Html(report.Current)).Append("</code><br>Generated ")
            .Append(Html((generated ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))).Append("</p>\n");
        int drifted = report.Columns.Count(c => c.Drift);
        s.Append("<p id=\"summary\"><b>").Append(drifted).Append(" of ").Append(report.Columns.Count).Append(" columns drifted</b> (drift share ")
            .Append(F(report.DriftShare)).Append(").</p>\n<p class=\"legend\"><span style=\"color:").Append(ReferenceColour)
            .Append("\">■ reference</span><span style=\"color:").Append(CurrentColour).Append("\">■ current</span></p>\n");
        foreach (ColumnDrift column in report.Columns) WriteColumn(s, column);
        s.Append("</body></html>\n");
        return s.ToString();
    }

    private static void WriteColumn(StringBuilder s, ColumnDrift c)
    {
        s.Append("<section class=\"column\" data-column=\"").Append(Html(c.Name)).Append("\" data-drift=\"").Append(c.Drift ? "true" : "false")
            .Append("\">\n<h2>").Append(Html(c.Name)).Append(" <small>(").Append(ColumnKinds.Name(c.Kind)).Append(")</small> <span class=\"verdict ")
            .Append(c.Drift ? "drift\">drift" : "stable\">no drift").Append("</span></h2>\n<p>Rule: <code>").Append(Html(c.Rule)).Append("</code>, score ")
            .Append(F(c.Score)).Append(" against ").Append(F(c.Threshold)).Append("; ").Append(c.ReferenceCount).Append(" reference and ")
            .Append(c.CurrentCount).Append(" current values.</p>\n<table><tr><th>test</th><th>value</th></tr>\n");
        DriftTests t = c.Tests;
        if (t.Ks is { } ks) Row(s, "KS statistic / p-value", $"{F(ks.Statistic)} / {F(ks.PValue)}{(ks.Exact ? " (exact)" : " (asymptotic)")}");
        if (t.Wasserstein is { } w) Row(s, "Wasserstein / normed by reference std", $"{F(w)} / {F(t.WassersteinNormed ?? double.NaN)}");
        if (t.ChiSquare is { } chi) Row(s, "chi-square / p-value / dof", $"{F(chi.Statistic)} / {F(chi.PValue)} / {chi.DegreesOfFreedom}");
        if (t.JensenShannon is { } js) Row(s, "Jensen–Shannon distance", F(js));
        if (t.KullbackLeibler is { } kl) Row(s, "KL(current ‖ reference)", F(kl));
        if (t.Psi is { } psi) Row(s, "PSI", $"{F(psi.Value)} ({psi.Level})");
        if (t.DomainClassifier is { } dc)
            Row(s, "domain classifier AUC / shuffled bound", $"{F(dc.Auc)} / {F(dc.Threshold)} (shuffled mean {F(dc.ShuffledMean)})");
        if (t.Mmd is { } mmd) Row(s, "MMD² / p-value / bandwidth", $"{F(mmd.Value)} / {F(mmd.PValue)} / {F(mmd.Bandwidth)}");
        s.Append("</table>\n<div class=\"figures\">\n");
        switch (c.Figure)
        {
            case HistogramFigure h:
                Bars(s, "histogram", [.. Enumerable.Range(0, h.ReferenceShares.Length).Select(i => Histogram.Format(h.Edges[i]))], h.ReferenceShares,
                    h.CurrentShares);
                break;
            case CategoryFigure cat:
                Bars(s, "categories", cat.Categories, cat.ReferenceShares, cat.CurrentShares);
                break;
            case ProjectionFigure p:
                Scatter(s, p);
                break;
        }
        if (t.Psi is { } bins) PsiBars(s, bins);
        s.Append("</div>\n</section>\n");
    }

    private static void Row(StringBuilder s, string name, string value) =>
        s.Append("<tr><td>").Append(Html(name)).Append("</td><td>").Append(Html(value)).Append("</td></tr>\n");

    /// <summary>Paired bars per bin (reference then current), shares on the y axis.</summary>
    private static void Bars(StringBuilder s, string kind, IReadOnlyList<string> labels, double[] reference, double[] current)
    {
        double max = Math.Max(reference.DefaultIfEmpty(0).Max(), current.DefaultIfEmpty(0).Max());
        if (max <= 0) max = 1;
        int n = labels.Count;
        double slot = (Width - 2.0 * Margin) / Math.Max(n, 1), plot = Height - 2.0 * Margin;
        Open(s, kind, $"{kind}: share of values per bin");
        for (int i = 0; i < n; i++)
        {
            double x = Margin + i * slot;
            Rect(s, x + slot * 0.1, reference[i] / max * plot, slot * 0.4, ReferenceColour, $"{labels[i]}: reference {F(reference[i])}");
            Rect(s, x + slot * 0.5, current[i] / max * plot, slot * 0.4, CurrentColour, $"{labels[i]}: current {F(current[i])}");
            if (n <= 12 || i % Math.Max(1, n / 8) == 0)
                Text(s, x + slot / 2, Height - Margin + 14, labels[i].Length > 10 ? labels[i][..10] + "…" : labels[i], "middle");
        }
        Axis(s, max);
        s.Append("</svg>\n");
    }

    /// <summary>Each PSI bin's term, a bar up from zero.</summary>
    private static void PsiBars(StringBuilder s, PsiResult psi)
    {
        double max = Math.Max(psi.Bins.Select(b => b.Term).DefaultIfEmpty(0).Max(), 1e-9);
        double slot = (Width - 2.0 * Margin) / Math.Max(psi.Bins.Count, 1), plot = Height - 2.0 * Margin;
        Open(s, "psi", $"PSI per bin (total {F(psi.Value)}, {psi.Level})");
        for (int i = 0; i < psi.Bins.Count; i++)
        {
            PsiBin bin = psi.Bins[i];
            Rect(s, Margin + i * slot + slot * 0.15, bin.Term / max * plot, slot * 0.7, "#7f5fbf", $"{bin.Label}: {F(bin.Term)}");
        }
        Axis(s, max);
        s.Append("</svg>\n");
    }

    /// <summary>The two embedding sets on their first two principal components.</summary>
    private static void Scatter(StringBuilder s, ProjectionFigure p)
    {
        var all = p.Reference.Concat(p.Current).ToArray();
        double minX = all.Min(q => q.X), maxX = all.Max(q => q.X), minY = all.Min(q => q.Y), maxY = all.Max(q => q.Y);
        double spanX = maxX > minX ? maxX - minX : 1, spanY = maxY > minY ? maxY - minY : 1;
        Open(s, "projection", "embeddings on their first two principal components");
        foreach (var (points, colour) in new[] { (p.Reference, ReferenceColour), (p.Current, CurrentColour) })
        {
            foreach (var (x, y) in points)
            {
                double cx = Margin + (x - minX) / spanX * (Width - 2.0 * Margin), cy = Height - Margin - (y - minY) / spanY * (Height - 2.0 * Margin);
                s.Append("<circle cx=\"").Append(F(cx)).Append("\" cy=\"").Append(F(cy)).Append("\" r=\"3\" fill=\"").Append(colour)
                    .Append("\" fill-opacity=\"0.6\"/>");
            }
        }
        s.Append("\n</svg>\n");
    }

    private static void Open(StringBuilder s, string kind, string title) =>
        s.Append("<figure><svg class=\"figure ").Append(kind).Append("\" data-figure=\"").Append(kind).Append("\" width=\"").Append(Width)
            .Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height)
            .Append("\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><title>").Append(Html(title)).Append("</title>\n")
            .Append("<text x=\"").Append(Margin).Append("\" y=\"16\" font-size=\"12\">").Append(Html(title)).Append("</text>\n");

    private static void Rect(StringBuilder s, double x, double height, double width, string colour, string tip) =>
        s.Append("<rect x=\"").Append(F(x)).Append("\" y=\"").Append(F(Height - Margin - height)).Append("\" width=\"").Append(F(width))
            .Append("\" height=\"").Append(F(Math.Max(height, 0))).Append("\" fill=\"").Append(colour).Append("\" fill-opacity=\"0.75\"><title>")
            .Append(Html(tip)).Append("</title></rect>\n");

    private static void Text(StringBuilder s, double x, double y, string text, string anchor) =>
        s.Append("<text x=\"").Append(F(x)).Append("\" y=\"").Append(F(y)).Append("\" font-size=\"9\" text-anchor=\"").Append(anchor).Append("\">")
            .Append(Html(text)).Append("</text>\n");

    private static void Axis(StringBuilder s, double max)
    {
        s.Append("<line x1=\"").Append(Margin).Append("\" y1=\"").Append(Height - Margin).Append("\" x2=\"").Append(Width - Margin).Append("\" y2=\"")
            .Append(Height - Margin).Append("\" stroke=\"#888\"/>\n");
        Text(s, Margin - 4, Margin, F(max), "end");
        Text(s, Margin - 4, Height - Margin, "0", "end");
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : v > 0 ? "∞" : v < 0 ? "-∞" : "n/a";

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
