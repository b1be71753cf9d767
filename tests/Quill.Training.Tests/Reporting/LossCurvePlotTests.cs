// LossCurvePlot: image size, the train line where the layout maps it, both series' colours, empty/degenerate inputs still give axes.
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public class LossCurvePlotTests
{
    /// <summary>How far (pixels) from the mapped point a line pixel may be: rounding plus the 2-pixel pen.</summary>
    private const int PixelTolerance = 2;

    private static List<(long Step, double Loss)> Linear(int count, double from, double to, long firstStep = 0) =>
        Enumerable.Range(0, count).Select(i => (firstStep + i * 10L, from + (to - from) * i / Math.Max(1, count - 1))).ToList();

    private static bool NearColour(DecodedPng png, int x, int y, RgbColour colour)
    {
        for (int dy = -PixelTolerance; dy <= PixelTolerance; dy++)
            for (int dx = -PixelTolerance; dx <= PixelTolerance; dx++)
                if (x + dx >= 0 && y + dy >= 0 && x + dx < png.Width && y + dy < png.Height && png.Is(x + dx, y + dy, colour)) return true;
        return false;
    }

    [Theory]
    [InlineData(LossCurvePlot.DefaultWidth, LossCurvePlot.DefaultHeight)]
    [InlineData(640, 400)]
    public void HasRequestedSize(int width, int height)
    {
        var png = PngTestDecoder.Decode(LossCurvePlot.Render(Linear(10, 3, 1), [], "loss", width, height));
        Assert.Equal((width, height, 3), (png.Width, png.Height, png.Channels));
        Assert.True(png.Is(0, 0, LossCurvePlot.Background) && png.Is(width - 1, height - 1, LossCurvePlot.Background));
        Assert.True(png.Count(LossCurvePlot.Background) > width * height / 2);
    }

    [Fact]
    public void TrainLineRunsThroughMappedPoints()
    {
        var train = Linear(41, 4.0, 1.0);
        var layout = LossCurveLayout.For(train, [], LossCurvePlot.DefaultWidth, LossCurvePlot.DefaultHeight);
        var png = PngTestDecoder.Decode(LossCurvePlot.Render(train, [], "linear"));
        foreach (var (step, loss) in train.Where((_, i) => i % 5 == 0))
            Assert.True(NearColour(png, layout.X(step), layout.Y(loss), LossCurvePlot.TrainColour), $"no train pixel near step {step}");
        Assert.True(layout.MinLoss < 1.0 && layout.MaxLoss > 4.0);
        Assert.Equal(0, png.Count(LossCurvePlot.ValidationColour));
    }

    [Fact]
    public void ValidationPointsUseTheSecondColour()
    {
        var train = Linear(30, 5.0, 2.0);
        var validation = Linear(4, 4.5, 2.5, firstStep: 20);
        var layout = LossCurveLayout.For(train, validation, LossCurvePlot.DefaultWidth, LossCurvePlot.DefaultHeight);
        byte[] bytes = LossCurvePlot.Render(train, validation, "Training loss: tiny-llama");
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "loss-curve-sample.png"), bytes);
        var png = PngTestDecoder.Decode(bytes);
        Assert.True(png.Count(LossCurvePlot.TrainColour) > 100);
        foreach (var (step, loss) in validation)
            Assert.True(png.Is(layout.X(step), layout.Y(loss), LossCurvePlot.ValidationColour), $"no validation marker at step {step}");
    }

    [Fact]
    public void ManyNoisyPointsGetRawAndSmoothedCurves()
    {
        var rng = new Random(3);
        var train = Enumerable.Range(1, 2000).Select(i => ((long)i, 6.0 * Math.Exp(-i / 400.0) + 1.5 + rng.NextDouble() * 0.6)).ToList();
        var validation = Enumerable.Range(1, 10).Select(i => ((long)i * 200, 6.0 * Math.Exp(-i * 200 / 400.0) + 1.9)).ToList();
        byte[] bytes = LossCurvePlot.Render(train, validation, "pretrain 2000 steps");
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "loss-curve-smoothed.png"), bytes);
        var png = PngTestDecoder.Decode(bytes);
        Assert.True(png.Count(LossCurvePlot.TrainRawColour) > 100);
        Assert.True(png.Count(LossCurvePlot.TrainColour) > 100);
        Assert.True(png.Count(LossCurvePlot.ValidationColour) > 10);
    }

    [Fact]
    public void EmptyInputGivesAxesOnly()
    {
        var layout = LossCurveLayout.For([], [], LossCurvePlot.DefaultWidth, LossCurvePlot.DefaultHeight);
        byte[] bytes = LossCurvePlot.Render([], [], "nothing yet");
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "loss-curve-empty.png"), bytes);
        var png = PngTestDecoder.Decode(bytes);
        Assert.Equal(0, png.Count(LossCurvePlot.TrainColour));
        Assert.Equal(0, png.Count(LossCurvePlot.ValidationColour));
        for (int y = layout.Top; y <= layout.Bottom; y++) Assert.True(png.Is(layout.Left, y, LossCurvePlot.AxisColour));
        for (int x = layout.Left; x <= layout.Right; x++) Assert.True(png.Is(x, layout.Bottom, LossCurvePlot.AxisColour));
        Assert.NotEmpty(layout.XTicks);
        Assert.NotEmpty(layout.YTicks);
    }

    public static TheoryData<string, double[]> DegenerateSeries => new()
    {
        { "one point", [2.5] },
        { "constant", [3, 3, 3, 3] },
        { "zero constant", [0, 0] },
        { "nan and inf skipped", [double.NaN, 4, double.PositiveInfinity, 3, double.NegativeInfinity, 2] },
        { "all nan", [double.NaN, double.NaN] },
    };

    [Theory]
    [MemberData(nameof(DegenerateSeries))]
    public void DegenerateSeriesStillPlot(string name, double[] losses)
    {
        var train = losses.Select((loss, i) => (Step: (long)i + 100, Loss: loss)).ToList();
        var layout = LossCurveLayout.For(train, [], LossCurvePlot.DefaultWidth, LossCurvePlot.DefaultHeight);
        Assert.True(double.IsFinite(layout.MinLoss) && double.IsFinite(layout.MaxLoss) && layout.MinLoss < layout.MaxLoss, name);
        Assert.True(layout.MinStep < layout.MaxStep, name);
        byte[] bytes = LossCurvePlot.Render(train, [], name);
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, $"loss-curve-{name.Replace(' ', '-')}.png"), bytes);
        var png = PngTestDecoder.Decode(bytes);
        var finite = train.Where(p => double.IsFinite(p.Loss)).ToList();
        Assert.Equal(finite.Count > 0, png.Count(LossCurvePlot.TrainColour) > 0);
        foreach (var (step, loss) in finite)
            Assert.True(NearColour(png, layout.X(step), layout.Y(loss), LossCurvePlot.TrainColour), $"{name}: step {step}");
    }

    [Fact]
    public void WriteLeavesOnlyThePng()
    {
        string folder = Directory.CreateTempSubdirectory("quill-plot-").FullName;
        try
        {
            string path = Path.Combine(folder, "loss.png");
            LossCurvePlot.Write(path, Linear(5, 2, 1), [], "loss");
            Assert.Equal([path], Directory.GetFiles(folder));
            PngTestDecoder.Decode(File.ReadAllBytes(path));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
