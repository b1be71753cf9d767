// `quill compress report`: a base model against its quantized, pruned and distilled variants; the work is Quill.Training.Compression's.
using System.CommandLine;
using System.Globalization;
using Quill.Training.Compression;

namespace Quill.Cli.Commands;

internal static class CompressCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "The text to score every model on (UTF-8)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Folder for report.md, report.json, the PNG and variants/", Required = true };
        var types = new Option<string>("--types")
        {
            Description = "Quantization mixes to compare", DefaultValueFactory = _ => "Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q4_0,Q3_K_M,Q2_K",
        };
        var noPrune = new Option<bool>("--no-prune") { Description = "Leave out the pruned variants (50% and 2:4)" };
        var calib = new Option<string?>("--calib") { Description = "Calibration text: prune by Wanda instead of magnitude" };
        var student = new Option<string?>("--student") { Description = "A distilled student (same vocabulary) to compare too" };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Perplexity chunk length", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int?>("--chunks") { Description = "Score at most this many chunks" };
        var threads = CommonOptions.Threads();
        var report = new Command("report", "Quantize and prune a base model, then compare every variant's size, perplexity and KL divergence\n" +
            "  example: quill compress report -m model-f16.gguf -f held-out.txt -o report/ --calib calibration.txt --student runs/student/model.gguf")
        {
            model, file, output, types, noPrune, calib, student, ctx, chunks, threads,
        };
        report.SetAction(r => CliErrors.Run(() =>
        {
            string textPath = r.GetValue(file)!;
            if (!File.Exists(textPath)) throw new FileNotFoundException($"{textPath}: no such text file", textPath);
            string? calibPath = r.GetValue(calib);
            if (calibPath is not null && !File.Exists(calibPath)) throw new FileNotFoundException($"{calibPath}: no such text file", calibPath);
            string folder = r.GetValue(output)!;
            IReadOnlyList<CompressionRow> rows = CompressionReport.Run(r.GetValue(model)!, File.ReadAllText(textPath), folder, new CompressionReportOptions
            {
                Types = [.. r.GetValue(types)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Prune = !r.GetValue(noPrune),
                CalibrationText = calibPath is null ? null : File.ReadAllText(calibPath),
                Student = r.GetValue(student),
                Context = r.GetValue(ctx),
                MaxChunks = r.GetValue(chunks),
                Threads = r.GetValue(threads),
                Log = new Progress<string>(line => Console.Error.WriteLine(line)),
            });
            foreach (CompressionRow row in rows)
            {
                Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-28} {1,8:F2} MiB {2,6:F2} bpw  PPL {3,10:F4}  KLD {4,9:F6}", row.Name,
                    row.FileBytes / 1048576.0, row.BitsPerWeight, row.Perplexity, row.MeanKlDivergence));
            }
            Console.Out.WriteLine($"{Path.Combine(folder, "report.md")}, report.json, size-vs-perplexity.png");
            return 0;
        }));
        return new Command("compress", "Compare ways of making a model smaller (quantized, pruned, distilled) in one report\n" +
            "  example: quill compress report -m model-f16.gguf -f held-out.txt -o report/") { report };
    }
}
