// Renders training and validation loss against step as a PNG line chart (linear axes, two series).
using Quill.Formats;

namespace Quill.Training.Reporting;

public static class LossCurvePlot
{
    public const int DefaultWidth = 800;
    public const int DefaultHeight = 500;
    /// <summary>With more training points than this, the raw curve is drawn faintly and an exponential moving average over it.</summary>
    public const int SmoothingMinPoints = 50;
    /// <summary>Weight of the previous average in the smoothed curve (TensorBoard's default 0.9 style, bias-corrected).</summary>
    public const double SmoothingWeight = 0.9;

    public static RgbColour Background => RgbColour.White;
    public static RgbColour AxisColour => RgbColour.Black;
    public static RgbColour GridColour => new(224, 224, 224);
    public static RgbColour TrainColour => new(31, 119, 180);
    public static RgbColour TrainRawColour => new(170, 199, 232);
    public static RgbColour ValidationColour => new(230, 110, 0);

    /// <summary>
    /// PNG bytes of the chart. Points whose loss is NaN or infinite are skipped; either series may be empty
    /// (both empty gives the axes alone).
    /// </summary>
    public static byte[] Render(IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> validation,
        string title, int width = DefaultWidth, int height = DefaultHeight)
    {
        var layout = LossCurveLayout.For(train, validation, width, height);
        var canvas = new RgbCanvas(width, height, Background);
        DrawGrid(canvas, layout);

        var trainPoints = Finite(train);
        var validationPoints = Finite(validation);
        bool smoothed = trainPoints.Count > SmoothingMinPoints;
        canvas.Clip = (layout.Left, layout.Top, layout.Right - layout.Left + 1, layout.Bottom - layout.Top + 1);
        if (smoothed)
        {
            DrawPolyline(canvas, layout, trainPoints, TrainRawColour, 1);
            DrawPolyline(canvas, layout, Smooth(trainPoints), TrainColour, 2);
        }
        else
        {
            DrawPolyline(canvas, layout, trainPoints, TrainColour, 2);
        }
        DrawPolyline(canvas, layout, validationPoints, ValidationColour, 2);
        foreach (var (step, loss) in validationPoints)
            canvas.FillRectangle(layout.X(step) - 2, layout.Y(loss) - 2, 5, 5, ValidationColour);
        if (trainPoints.Count == 1 && !smoothed)
            canvas.FillRectangle(layout.X(trainPoints[0].Step) - 2, layout.Y(trainPoints[0].Loss) - 2, 5, 5, TrainColour);
        canvas.Clip = (0, 0, width, height);

        DrawAxes(canvas, layout);
        DrawTitle(canvas, layout, title);
        var entries = new List<(string Label, RgbColour Colour, bool Marker)>();
        if (smoothed) { entries.Add(("train", TrainRawColour, false)); entries.Add(("train (smoothed)", TrainColour, false)); }
        else if (trainPoints.Count > 0) entries.Add(("train", TrainColour, false));
        if (validationPoints.Count > 0) entries.Add(("validation", ValidationColour, true));
        DrawLegend(canvas, layout, entries);
        return PngWriter.Encode(canvas.Pixels, width, height, channels: 3);
    }

    /// <summary>Renders and writes the chart to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void Write(string path, IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> validation,
        string title, int width = DefaultWidth, int height = DefaultHeight)
    {
        byte[] png = Render(train, validation, title, width, height);
        AtomicFileWriter.Write(path, stream => stream.Write(png));
    }

    private static List<(long Step, double Loss)> Finite(IReadOnlyList<(long Step, double Loss)> series)
    {
        var points = new List<(long Step, double Loss)>(series.Count);
        foreach (var point in series)
            if (double.IsFinite(point.Loss)) points.Add(point);
        return points;
    }

    // Exponential moving average, divided by (1 - w^n) so the start is not pulled towards zero.
    private static List<(long Step, double Loss)> Smooth(List<(long Step, double Loss)> points)
    {
        var smoothed = new List<(long Step, double Loss)>(points.Count);
        double average = 0, weightPower = 1;
        foreach (var (step, loss) in points)
        {
            average = SmoothingWeight * average + (1 - SmoothingWeight) * loss;
            weightPower *= SmoothingWeight;
            smoothed.Add((step, average / (1 - weightPower)));
        }
        return smoothed;
    }

    private static void DrawPolyline(RgbCanvas canvas, LossCurveLayout layout, List<(long Step, double Loss)> points, RgbColour colour, int thickness)
    {
        for (int i = 1; i < points.Count; i++)
            canvas.DrawLine(layout.X(points[i - 1].Step), layout.Y(points[i - 1].Loss), layout.X(points[i].Step), layout.Y(points[i].Loss), colour, thickness);
    }

    private static void DrawGrid(RgbCanvas canvas, LossCurveLayout layout)
    {
        foreach (double tick in layout.XTicks)
            canvas.DrawDashedVertical(layout.X(tick), layout.Top, layout.Bottom, GridColour, dash: 4);
        foreach (double tick in layout.YTicks)
            canvas.DrawDashedHorizontal(layout.Left, layout.Right, layout.Y(tick), GridColour, dash: 4);
    }

    private static void DrawAxes(RgbCanvas canvas, LossCurveLayout layout)
    {
        int tick = LossCurveLayout.TickSize, scale = LossCurveLayout.LabelScale, textHeight = BitmapFont.Height(scale);
        canvas.DrawLine(layout.Left, layout.Top, layout.Left, layout.Bottom, AxisColour);
        canvas.DrawLine(layout.Left, layout.Bottom, layout.Right, layout.Bottom, AxisColour);
        for (int i = 0; i < layout.XTicks.Count; i++)
        {
            int x = layout.X(layout.XTicks[i]);
            canvas.DrawLine(x, layout.Bottom, x, layout.Bottom + tick, AxisColour);
            string label = layout.XLabels[i];
            BitmapFont.Draw(canvas, label, x - BitmapFont.MeasureWidth(label, scale) / 2, layout.Bottom + tick + 6, AxisColour, scale);
        }
        for (int i = 0; i < layout.YTicks.Count; i++)
        {
            int y = layout.Y(layout.YTicks[i]);
            canvas.DrawLine(layout.Left - tick, y, layout.Left, y, AxisColour);
            string label = layout.YLabels[i];
            BitmapFont.Draw(canvas, label, layout.Left - tick - 4 - BitmapFont.MeasureWidth(label, scale), y - textHeight / 2, AxisColour, scale);
        }
        const string xCaption = "step", yCaption = "loss";
        BitmapFont.Draw(canvas, xCaption, (layout.Left + layout.Right - BitmapFont.MeasureWidth(xCaption, scale)) / 2,
            layout.Bottom + tick + 6 + textHeight + 10, AxisColour, scale);
        BitmapFont.Draw(canvas, yCaption, Math.Max(2, layout.Left - BitmapFont.MeasureWidth(yCaption, scale) / 2), layout.Top - textHeight - 14, AxisColour,
            scale);
    }

    private static void DrawTitle(RgbCanvas canvas, LossCurveLayout layout, string title)
    {
        int scale = LossCurveLayout.TitleScale;
        while (scale > 1 && BitmapFont.MeasureWidth(title, scale) > layout.Width - 16) scale--;
        BitmapFont.Draw(canvas, title, Math.Max(8, (layout.Width - BitmapFont.MeasureWidth(title, scale)) / 2), 12, AxisColour, scale);
    }

    // A boxed key in the plot's top-right corner: a line sample (or a square marker) and the series name.
    private static void DrawLegend(RgbCanvas canvas, LossCurveLayout layout, List<(string Label, RgbColour Colour, bool Marker)> entries)
    {
        if (entries.Count == 0) return;
        int scale = LossCurveLayout.LabelScale, rowHeight = BitmapFont.Height(scale) + 8, sample = 24, pad = 8;
        int textWidth = entries.Max(e => BitmapFont.MeasureWidth(e.Label, scale));
        int boxWidth = pad + sample + 8 + textWidth + pad, boxHeight = pad + entries.Count * rowHeight - 8 + pad;
        int x0 = layout.Right - 10 - boxWidth, y0 = layout.Top + 10;
        canvas.FillRectangle(x0, y0, boxWidth, boxHeight, Background);
        canvas.DrawLine(x0, y0, x0 + boxWidth - 1, y0, GridColour);
        canvas.DrawLine(x0, y0 + boxHeight - 1, x0 + boxWidth - 1, y0 + boxHeight - 1, GridColour);
        canvas.DrawLine(x0, y0, x0, y0 + boxHeight - 1, GridColour);
        canvas.DrawLine(x0 + boxWidth - 1, y0, x0 + boxWidth - 1, y0 + boxHeight - 1, GridColour);
        for (int i = 0; i < entries.Count; i++)
        {
            var (label, colour, marker) = entries[i];
            int top = y0 + pad + i * rowHeight, middle = top + BitmapFont.Height(scale) / 2;
            canvas.DrawLine(x0 + pad, middle, x0 + pad + sample, middle, colour, 2);
            if (marker) canvas.FillRectangle(x0 + pad + sample / 2 - 2, middle - 2, 5, 5, colour);
            BitmapFont.Draw(canvas, label, x0 + pad + sample + 8, top, AxisColour, scale);
        }
    }
}
