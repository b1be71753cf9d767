// Where a loss-curve plot puts things: the plot rectangle, the data ranges and ticks, and the data-to-pixel mapping; draws nothing.
namespace Quill.Training.Reporting;

public sealed class LossCurveLayout
{
    /// <summary>Fraction of the loss range added above and below the data.</summary>
    public const double LossMargin = 0.05;
    public const int LabelScale = 2;
    public const int TitleScale = 3;
    private const int TargetXTicks = 8;
    private const int TargetYTicks = 6;
    private const int TickLength = 6;

    private LossCurveLayout(int width, int height, double minStep, double maxStep, double minLoss, double maxLoss)
    {
        Width = width;
        Height = height;
        MinStep = minStep;
        MaxStep = maxStep;
        MinLoss = minLoss;
        MaxLoss = maxLoss;
        XTicks = AxisTicks.Compute(minStep, maxStep, TargetXTicks, integers: true, out double xStep);
        YTicks = AxisTicks.Compute(minLoss, maxLoss, TargetYTicks, integers: false, out double yStep);
        XLabels = XTicks.Select(v => AxisTicks.Label(v, xStep)).ToArray();
        YLabels = YTicks.Select(v => AxisTicks.Label(v, yStep)).ToArray();
        int widestY = YLabels.Count == 0 ? 0 : YLabels.Max(l => BitmapFont.MeasureWidth(l, LabelScale));
        int lastX = XLabels.Count == 0 ? 0 : BitmapFont.MeasureWidth(XLabels[^1], LabelScale);
        Left = Math.Max(48, widestY + TickLength + 12);
        Right = width - 1 - Math.Max(24, lastX / 2 + 8);
        Top = BitmapFont.Height(TitleScale) + 2 * 12 + BitmapFont.Height(LabelScale) + 12;
        Bottom = height - 1 - (TickLength + 8 + BitmapFont.Height(LabelScale) + 10 + BitmapFont.Height(LabelScale) + 8);
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>The plot rectangle, inclusive pixel coordinates; the axes are drawn on its left and bottom edges.</summary>
    public int Left { get; }
    public int Top { get; }
    public int Right { get; }
    public int Bottom { get; }
    public double MinStep { get; }
    public double MaxStep { get; }
    public double MinLoss { get; }
    public double MaxLoss { get; }
    public IReadOnlyList<double> XTicks { get; }
    public IReadOnlyList<double> YTicks { get; }
    public IReadOnlyList<string> XLabels { get; }
    public IReadOnlyList<string> YLabels { get; }
    internal static int TickSize => TickLength;

    public int X(double step) => (int)Math.Round(Left + (step - MinStep) / (MaxStep - MinStep) * (Right - Left));
    public int Y(double loss) => (int)Math.Round(Top + (MaxLoss - loss) / (MaxLoss - MinLoss) * (Bottom - Top));

    /// <summary>Ranges from the finite points of both series: all steps, and the losses widened by <see cref="LossMargin"/>.</summary>
    public static LossCurveLayout For(IReadOnlyList<(long Step, double Loss)> train, IReadOnlyList<(long Step, double Loss)> validation, int width, int height)
    {
        double minStep = double.PositiveInfinity, maxStep = double.NegativeInfinity;
        double minLoss = double.PositiveInfinity, maxLoss = double.NegativeInfinity;
        foreach (var series in new[] { train, validation })
            foreach (var (step, loss) in series)
            {
                if (!double.IsFinite(loss)) continue;
                minStep = Math.Min(minStep, step); maxStep = Math.Max(maxStep, step);
                minLoss = Math.Min(minLoss, loss); maxLoss = Math.Max(maxLoss, loss);
            }
        if (double.IsInfinity(minStep)) { minStep = 0; maxStep = 1; minLoss = 0; maxLoss = 1; }
        else
        {
            if (maxStep == minStep) { minStep = minStep >= 0 ? Math.Max(0, minStep - 1) : minStep - 1; maxStep = minStep + 2; }
            double pad = maxLoss > minLoss ? (maxLoss - minLoss) * LossMargin : minLoss != 0 ? Math.Abs(minLoss) * 0.1 : 1;
            minLoss -= pad; maxLoss += pad;
        }
        return new LossCurveLayout(width, height, minStep, maxStep, minLoss, maxLoss);
    }
}
