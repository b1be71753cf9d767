// Prints `compare`'s results as an aligned text table, a Markdown table for issue notes, or JSON; arithmetic only, no measuring.
using System.Globalization;
using System.Text.Json;
using Quill.Models;

namespace Quill.Benchmarks.Comparison;

/// <summary>
/// One model at one thread count: the best of every engine's runs (<c>Best</c>), the file's size, the bytes of every weight
/// tensor one decode step reads (<c>WeightBytesPerToken</c>: all but the token embedding, whose one row is negligible; the
/// output matrix included) and the read bandwidth measured at this thread count (<c>Bandwidth</c>, GB/s).
/// </summary>
public sealed record ComparisonRow(string Model, int Threads, long FileBytes, long WeightBytesPerToken, double Bandwidth,
    IReadOnlyDictionary<Engine, EngineResult> Best)
{
    /// <summary>Decode tokens/s if every step did nothing but stream the weights at the measured bandwidth.</summary>
    public double BoundTokensPerSecond => Bandwidth * 1e9 / WeightBytesPerToken;
}

/// <summary>What the table's header says about the run.</summary>
public sealed record ComparisonSetup(string Cpu, IReadOnlyDictionary<int, double> Bandwidth, int PromptTokens, int GenTokens, int Runs,
    IReadOnlyList<Engine> Engines, TimeSpan Elapsed)
{
    /// <summary>Both engines' KV cache element type.</summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F16;

    /// <summary>Tokens in the cache before tg is timed (llama-bench's -d); 0: from an empty context.</summary>
    public int Depth { get; init; }
}

public static class ComparisonTable
{
    public static void WriteText(TextWriter output, ComparisonSetup setup, IReadOnlyList<ComparisonRow> rows) =>
        Write(output, setup, rows, markdown: false);

    public static void WriteMarkdown(TextWriter output, ComparisonSetup setup, IReadOnlyList<ComparisonRow> rows) =>
        Write(output, setup, rows, markdown: true);

    public static void WriteJson(TextWriter output, ComparisonSetup setup, IReadOnlyList<ComparisonRow> rows)
    {
        var document = new
        {
            cpu = setup.Cpu,
            read_bandwidth_gbps = setup.Bandwidth.ToDictionary(b => b.Key.ToString(CultureInfo.InvariantCulture), b => Math.Round(b.Value, 2)),
            pp = setup.PromptTokens,
            tg = setup.GenTokens,
            depth = setup.Depth,
            kv_type = setup.KvCacheType.Name(),
            runs = setup.Runs,
            seconds = Math.Round(setup.Elapsed.TotalSeconds),
            rows = rows.Select(r => new
            {
                model = r.Model,
                threads = r.Threads,
                file_bytes = r.FileBytes,
                weight_bytes_per_token = r.WeightBytesPerToken,
                bound_tg = Math.Round(r.BoundTokensPerSecond, 2),
                engines = r.Best.Where(e => !e.Value.IsFailed).ToDictionary(e => EngineRun.Label(e.Key), e => new
                {
                    pp = Math.Round(e.Value.PromptTokensPerSecond, 2),
                    tg = Math.Round(e.Value.GenTokensPerSecond, 2),
                    tg_of_bound = Math.Round(e.Value.GenTokensPerSecond / r.BoundTokensPerSecond, 4),
                    peak_rss_bytes = e.Value.PeakResidentBytes,
                }),
            }),
        };
        output.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void Write(TextWriter output, ComparisonSetup setup, IReadOnlyList<ComparisonRow> rows, bool markdown)
    {
        string bandwidth = string.Join(", ", setup.Bandwidth.Select(b => $"{b.Key} thread{(b.Key == 1 ? "" : "s")} {b.Value:F1} GB/s"));
        string[] notes =
        [
            $"CPU: {setup.Cpu}; measured read bandwidth {bandwidth}",
            $"pp {setup.PromptTokens}, tg {setup.GenTokens}{(setup.Depth > 0 ? $" after {setup.Depth} tokens in the cache" : "")}, " +
                $"{setup.KvCacheType.Name()} KV cache; best of {setup.Runs} run{(setup.Runs == 1 ? "" : "s")}, " +
                $"engines interleaved, each run a child process of its own (llama.cpp: LLamaSharp 0.30.0's CPU backend); {setup.Elapsed.TotalMinutes:F1} min",
            "x = Quill / llama.cpp; bound = read bandwidth / weight bytes per decode token; RSS = the child's VmHWM in MB, .NET runtime included " +
                "for both engines",
        ];
        foreach (string note in notes) output.WriteLine(markdown ? note + "  " : note);
        output.WriteLine();

        var columns = Columns(setup.Engines);
        var cells = rows.Select(r => columns.Select(c => c.Value(r)).ToArray()).ToList();
        var widths = columns.Select((c, i) => cells.Select(row => row[i].Length).Append(c.Header.Length).Max()).ToArray();
        string Line(IReadOnlyList<string> values) => markdown
            ? "| " + string.Join(" | ", values) + " |"
            : string.Join("  ", values.Select((v, i) => i == 0 ? v.PadRight(widths[i]) : v.PadLeft(widths[i])));
        output.WriteLine(Line(columns.Select(c => c.Header).ToArray()));
        if (markdown) output.WriteLine("|" + string.Join("|", columns.Select((_, i) => i == 0 ? " --- " : " ---: ")) + "|");
        foreach (string[] row in cells) output.WriteLine(Line(row));
    }

    private static List<(string Header, Func<ComparisonRow, string> Value)> Columns(IReadOnlyList<Engine> engines)
    {
        // A failed run (NaN rates, no memory figure) shows as "-".
        static string Number(double value) => double.IsNaN(value) ? "-"
            : value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        static string Ratio(double a, double b) => double.IsNaN(a / b) ? "-" : (a / b).ToString("F2", CultureInfo.InvariantCulture) + "x";
        static string Percent(double a, double b) => double.IsNaN(a / b) ? "-" : (100 * a / b).ToString("F0", CultureInfo.InvariantCulture) + "%";
        static string Megabytes(long bytes) => bytes <= 0 ? "-" : (bytes / 1e6).ToString("F0", CultureInfo.InvariantCulture);
        EngineResult Q(ComparisonRow r) => r.Best[Engine.Quill];
        EngineResult L(ComparisonRow r) => r.Best[Engine.LlamaCpp];
        var columns = new List<(string, Func<ComparisonRow, string>)>
        {
            ("model", r => r.Model),
            ("thr", r => r.Threads.ToString(CultureInfo.InvariantCulture)),
            ("W/tok MB", r => Megabytes(r.WeightBytesPerToken)),
            ("pp quill", r => Number(Q(r).PromptTokensPerSecond)),
            ("pp llama", r => Number(L(r).PromptTokensPerSecond)),
            ("pp x", r => Ratio(Q(r).PromptTokensPerSecond, L(r).PromptTokensPerSecond)),
            ("tg quill", r => Number(Q(r).GenTokensPerSecond)),
            ("tg llama", r => Number(L(r).GenTokensPerSecond)),
            ("tg x", r => Ratio(Q(r).GenTokensPerSecond, L(r).GenTokensPerSecond)),
            ("tg bound", r => Number(r.BoundTokensPerSecond)),
            ("quill % bound", r => Percent(Q(r).GenTokensPerSecond, r.BoundTokensPerSecond)),
            ("llama % bound", r => Percent(L(r).GenTokensPerSecond, r.BoundTokensPerSecond)),
            ("RSS quill", r => Megabytes(Q(r).PeakResidentBytes)),
            ("RSS llama", r => Megabytes(L(r).PeakResidentBytes)),
        };
        if (engines.Contains(Engine.QuillMapped))
        {
            EngineResult M(ComparisonRow r) => r.Best[Engine.QuillMapped];
            columns.Add(("pp mmap", r => Number(M(r).PromptTokensPerSecond)));
            columns.Add(("tg mmap", r => Number(M(r).GenTokensPerSecond)));
            columns.Add(("RSS mmap", r => Megabytes(M(r).PeakResidentBytes)));
        }
        if (engines.Contains(Engine.QuillHugePages))
        {
            EngineResult H(ComparisonRow r) => r.Best[Engine.QuillHugePages];
            columns.Add(("pp huge", r => Number(H(r).PromptTokensPerSecond)));
            columns.Add(("tg huge", r => Number(H(r).GenTokensPerSecond)));
            columns.Add(("tg x huge", r => Ratio(H(r).GenTokensPerSecond, L(r).GenTokensPerSecond)));
            columns.Add(("huge % bound", r => Percent(H(r).GenTokensPerSecond, r.BoundTokensPerSecond)));
        }
        if (engines.Contains(Engine.LlamaCppCopied))
        {
            EngineResult N(ComparisonRow r) => r.Best[Engine.LlamaCppCopied];
            columns.Add(("pp llama-nommap", r => Number(N(r).PromptTokensPerSecond)));
            columns.Add(("tg llama-nommap", r => Number(N(r).GenTokensPerSecond)));
            columns.Add(("tg x nommap", r => Ratio(Q(r).GenTokensPerSecond, N(r).GenTokensPerSecond)));
            columns.Add(("RSS llama-nommap", r => Megabytes(N(r).PeakResidentBytes)));
        }
        return columns;
    }
}
