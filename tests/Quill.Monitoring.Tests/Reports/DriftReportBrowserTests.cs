// The HTML report opened in Debian's Chromium through Playwright: no script errors, each column's figure drawn; a screenshot kept with the results.
using Microsoft.Playwright;
using Quill.Monitoring.Drift;
using Quill.Monitoring.Reports;

namespace Quill.Monitoring.Tests.Reports;

public sealed class DriftReportBrowserTests
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Where the screenshot goes: TestResults/monitoring next to the test binaries.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "monitoring");

    [Fact]
    public async Task TheReportRendersEveryColumnsFigureWithoutErrors()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: ./test installs Debian's Chromium (apt-get install -y chromium)");
        using var detector = new DriftDetector();
        DriftReport report = detector.Compare(SampleData.Table("reference.jsonl", 150, 1),
            SampleData.Table("current.jsonl", 150, 2, shift: 6, weights: [2, 3, 5], topic: SampleData.ScienceQuestions));
        Directory.CreateDirectory(ScreenshotFolder);
        string html = Path.Combine(ScreenshotFolder, "drift-report.html");
        await File.WriteAllTextAsync(html, DriftHtml.Write(report));

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
        IPage page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        Assert.Equal(3, await page.Locator("section.column").CountAsync());
        foreach (ColumnDrift column in report.Columns)
        {
            ILocator section = page.Locator($"section.column[data-column='{column.Name}']");
            Assert.Equal(column.Drift ? "true" : "false", await section.GetAttributeAsync("data-drift"));
            string figure = column.Kind switch { ColumnKind.Number => "histogram", ColumnKind.Category => "categories", _ => "projection" };
            ILocator svg = section.Locator($"svg[data-figure='{figure}']");
            Assert.True(await svg.IsVisibleAsync(), $"{column.Name}: no visible {figure}");
            int marks = await svg.Locator(column.Kind == ColumnKind.Text ? "circle" : "rect").CountAsync();
            Assert.True(marks >= (column.Kind == ColumnKind.Text ? 300 : 6), $"{column.Name}: {marks} marks");
            if (column.Kind != ColumnKind.Text) Assert.True(await section.Locator("svg[data-figure='psi'] rect").CountAsync() > 0);
        }
        Assert.Contains("3 of 3 columns drifted", await page.Locator("#summary").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, "drift-report.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
