// Renders labelled points (x against y, linear axes) as a PNG: the compression report's size-against-perplexity picture.
using Quill.Formats;

namespace Quill.Training.Reporting;

/// <summary>A scatter chart of named points, each a filled square with its name beside it; drawn with the loss chart's canvas and font.</summary>
public static class ScatterPlot
{
    private const int LabelScale = 2, TitleScale = 3, Tick = 6, TargetTicks = 6;
    private static readonly RgbColour[] Palette =
    [
        new(31, 119, 180), new(230, 110, 0), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189), new(140, 86, 75), new(227, 119, 194),
        new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];

    /// <summary>PNG bytes of the chart; points with a non-finite coordinate are left out.</summary>
    public static byte[] Render(IReadOnlyList<(double X, double Y, string Label)> points, string title, string xCaption, string yCaption,
        int width = 900, int height = 560)
    {
        var shown = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        (double minX, double maxX) = Range(shown.Select(p => p.X));
        (double minY, double maxY) = Range(shown.Select(p => p.Y));
        double[] xTicks = AxisTicks.Compute(minX, maxX, TargetTicks, integers: false, out double xStep);
        double[] yTicks = AxisTicks.Compute(minY, maxY, TargetTicks, integers: false, out double yStep);
        string[] yLabels = [.. yTicks.Select(v => AxisTicks.Label(v, yStep))];
        int textHeight = BitmapFont.Height(LabelScale);
        int left = Math.Max(56, (yLabels.Length == 0 ? 0 : yLabels.Max(l => BitmapFont.MeasureWidth(l, LabelScale))) + Tick + 12);
        int right = width - 1 - 160; // room for the labels of the rightmost points
        int top = BitmapFont.Height(TitleScale) + 24 + textHeight + 12;
        int bottom = height - 1 - (Tick + 8 + 2 * textHeight + 18);
        int X(double v) => (int)Math.Round(left + (v - minX) / (maxX - minX) * (right - left));
        int Y(double v) => (int)Math.Round(top + (maxY - v) / (maxY - minY) * (bottom - top));

        var canvas = new RgbCanvas(width, height, RgbColour.White);
        var grid = new RgbColour(224, 224, 224);
        foreach (double t in xTicks) canvas.DrawDashedVertical(X(t), top, bottom, grid, dash: 4);
        foreach (double t in yTicks) canvas.DrawDashedHorizontal(left, right, Y(t), grid, dash: 4);
        canvas.DrawLine(left, top, left, bottom, RgbColour.Black);
        canvas.DrawLine(left, bottom, right, bottom, RgbColour.Black);
        foreach (double t in xTicks)
        {
            string label = AxisTicks.Label(t, xStep);
            canvas.DrawLine(X(t), bottom, X(t), bottom + Tick, RgbColour.Black);
            BitmapFont.Draw(canvas, label, X(t) - BitmapFont.MeasureWidth(label, LabelScale) / 2, bottom + Tick + 6, RgbColour.Black, LabelScale);
        }
        for (int i = 0; i < yTicks.Length; i++)
        {
            canvas.DrawLine(left - Tick, Y(yTicks[i]), left, Y(yTicks[i]), RgbColour.Black);
            BitmapFont.Draw(canvas, yLabels[i], left - Tick - 4 - BitmapFont.MeasureWidth(yLabels[i], LabelScale), Y(yTicks[i]) - textHeight / 2,
                RgbColour.Black, LabelScale);
        }
        BitmapFont.Draw(canvas, xCaption, (left + right - BitmapFont.MeasureWidth(xCaption, LabelScale)) / 2, bottom + Tick + textHeight + 16,
            RgbColour.Black, LabelScale);
        BitmapFont.Draw(canvas, yCaption, Math.Max(2, left - BitmapFont.MeasureWidth(yCaption, LabelScale) / 2), top - textHeight - 14, RgbColour.Black,
            LabelScale);
        int titleScale = TitleScale;
        while (titleScale > 1 && BitmapFont.MeasureWidth(title, titleScale) > width - 16) titleScale--;
        BitmapFont.Draw(canvas, title, Math.Max(8, (width - BitmapFont.MeasureWidth(title, titleScale)) / 2), 12, RgbColour.Black, titleScale);
        for (int i = 0; i < shown.Count; i++)
        {
            RgbColour colour = Palette[i % Palette.Length];
            int x = X(shown[i].X), y = Y(shown[i].Y);
            canvas.FillRectangle(x - 4, y - 4, 9, 9, colour);
            BitmapFont.Draw(canvas, shown[i].Label, x + 8, y - textHeight / 2 - (i % 2 == 0 ? 0 : textHeight / 2), colour, LabelScale);
        }
        return PngWriter.Encode(canvas.Pixels, width, height, channels: 3);
    }

    /// <summary>Renders and writes the chart atomically.</summary>
    public static void Write(string path, IReadOnlyList<(double X, double Y, string Label)> points, string title, string xCaption, string yCaption)
    {
        byte[] png = Render(points, title, xCaption, yCaption);
        AtomicFileWriter.Write(path, stream => stream.Write(png));
    }

    /// <summary>The values' range widened by 8 % each side (a single value gets ±1, nothing gets [0, 1]).</summary>
    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (!double.IsFinite(min)) return (0, 1);
        if (max - min < 1e-12) return (min - 1, max + 1);
        double pad = 0.08 * (max - min);
        return (min - pad, max + pad);
    }
}
