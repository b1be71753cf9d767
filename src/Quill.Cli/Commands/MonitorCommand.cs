// `quill monitor drift|watch`: compares samples (JSONL, CSV, a request log) for drift and watches a live log; the work is Quill.Monitoring's.
using System.CommandLine;
using System.Globalization;
using Quill.Monitoring.Data;
using Quill.Monitoring.Drift;
using Quill.Monitoring.Reports;

namespace Quill.Cli.Commands;

internal static class MonitorCommand
{
    private const string Sides =
        "each side is a .jsonl or .csv file, or a request log (quill serve --log) with an optional window: requests.db@2026-12-01..2026-12-02";

    public static Command Create()
    {
        var command = new Command("monitor", "Watch a deployed model: drift between two samples of inputs and outputs, and alerts on a live request log\n" +
            "  example: quill monitor drift --reference last-week.jsonl --current requests.db@2026-12-01.. -o drift.html\n" +
            "  example: quill monitor watch --log requests.db --reference last-week.jsonl --window 500 --interval 60");
        command.Subcommands.Add(Drift());
        command.Subcommands.Add(Watch());
        return command;
    }

    private static Command Drift()
    {
        var reference = new Option<string>("--reference", "-r") { Description = "The reference sample; " + Sides, Required = true };
        var current = new Option<string>("--current", "-c") { Description = "The sample compared with it", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var output = new Option<string?>("--output", "-o") { Description = "Write a self-contained HTML report here" };
        var columns = ColumnsOption();
        var since = new Option<string?>("--since") { Description = "For a request log side with no @window: rows from this ISO 8601 time on" };
        var until = new Option<string?>("--until") { Description = "For a request log side with no @window: rows before this time" };
        var command = new Command("drift", "Compare two samples column by column: KS or Wasserstein for numbers, chi-square or Jensen-Shannon for " +
            "categories, a domain classifier and MMD on embeddings for text; PSI for both\n" +
            "  example: quill monitor drift -r reference.csv -c current.csv --json\n" +
            "  example: quill monitor drift -r requests.db@2026-11-01..2026-12-01 -c requests.db@2026-12-01.. -o drift.html")
        {
            reference, current, json, output, columns, since, until,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            DateTimeOffset? from = SampleReader.ParseTime(r.GetValue(since) ?? "", "--since");
            DateTimeOffset? to = SampleReader.ParseTime(r.GetValue(until) ?? "", "--until");
            Sample left = SampleReader.Read(r.GetValue(reference)!, from, to), right = SampleReader.Read(r.GetValue(current)!, from, to);
            using var detector = new DriftDetector();
            var specs = r.GetValue(columns) is { } list ? DriftDetector.ParseColumns(list, left, right) : DriftDetector.InferColumns(left, right);
            DriftReport report = detector.Compare(left, right, specs);
            if (r.GetValue(output) is { } html)
            {
                File.WriteAllText(html, DriftHtml.Write(report));
                Console.Error.WriteLine($"wrote {html}");
            }
            if (r.GetValue(json)) Console.Out.WriteLine(DriftJson.Write(report));
            else PrintTable(report);
            return 0;
        }));
        return command;
    }

    private static Command Watch()
    {
        var log = new Option<string>("--log") { Description = "The request log a server writes (quill serve --log)", Required = true };
        var reference = new Option<string>("--reference", "-r") { Description = "The reference sample; " + Sides, Required = true };
        var window = new Option<int>("--window") { Description = "Newest log rows compared with the reference", DefaultValueFactory = _ => 500 };
        var interval = new Option<double>("--interval") { Description = "Seconds between checks", DefaultValueFactory = _ => 60 };
        var once = new Option<bool>("--once") { Description = "Check once and exit" };
        var columns = ColumnsOption();
        var command = new Command("watch", "Compare the newest rows of a request log with a reference every interval; print an alert line per " +
            "drifted column\n  example: quill monitor watch --log requests.db --reference reference.jsonl --window 200 --once")
        {
            log, reference, window, interval, once, columns,
        };
        command.SetAction((r, ct) => CliErrors.RunAsync(async () =>
        {
            if (r.GetValue(window) < 2) throw new ArgumentException($"--window: expected 2 rows or more, found {r.GetValue(window)}");
            if (!(r.GetValue(interval) > 0)) throw new ArgumentException($"--interval: expected a positive number of seconds, found {r.GetValue(interval)}");
            Sample left = SampleReader.Read(r.GetValue(reference)!);
            using var detector = new DriftDetector();
            while (true)
            {
                Sample latest = SampleReader.ReadLogTail(r.GetValue(log)!, r.GetValue(window));
                if (latest.RowCount == 0) throw new InvalidDataException($"{r.GetValue(log)}: the log has no rows yet");
                var specs = r.GetValue(columns) is { } list ? DriftDetector.ParseColumns(list, left, latest)
                    : DriftDetector.InferColumns(left, latest, sharedOnly: true);
                DriftReport report = detector.Compare(left, latest, specs);
                DateTimeOffset now = DateTimeOffset.UtcNow;
                foreach (string line in DriftAlerts.Lines(report, now)) Console.Out.WriteLine(line);
                Console.Out.WriteLine(DriftAlerts.Summary(report, now));
                Console.Out.Flush();
                if (r.GetValue(once)) return 0;
                await Task.Delay(TimeSpan.FromSeconds(r.GetValue(interval)), ct);
            }
        }));
        return command;
    }

    private static Option<string?> ColumnsOption() => new("--columns")
    {
        Description = "The columns to compare and their kinds, e.g. age:number,plan:category,question:text (default: all, kinds inferred)",
    };

    private static void PrintTable(DriftReport report)
    {
        int width = Math.Max(6, report.Columns.Select(c => c.Name.Length).DefaultIfEmpty(0).Max());
        Console.Out.WriteLine($"{"column".PadRight(width)}  {"kind",-8}  {"drift",-5}  {"score",10}  rule");
        foreach (ColumnDrift c in report.Columns)
        {
            Console.Out.WriteLine($"{c.Name.PadRight(width)}  {ColumnKinds.Name(c.Kind),-8}  {(c.Drift ? "yes" : "no"),-5}  " +
                $"{c.Score.ToString("G4", CultureInfo.InvariantCulture),10}  {c.Rule}");
        }
        Console.Out.WriteLine($"drift share {report.DriftShare.ToString("G4", CultureInfo.InvariantCulture)} " +
            $"({report.Columns.Count(c => c.Drift)} of {report.Columns.Count} columns)");
    }
}
