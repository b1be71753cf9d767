// `quill prune`: magnitude or Wanda pruning of every block's linear weights, unstructured or N:M; the work is Quill.Pruning's.
using System.CommandLine;
using System.Globalization;
using Quill.Pruning;
using Quill.Quantization;

namespace Quill.Cli.Commands;

internal static class PruneCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "The pruned GGUF file to write", Required = true };
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction of each row's weights set to zero", DefaultValueFactory = _ => 0.5 };
        var pattern = new Option<string?>("--pattern") { Description = "N:M structured sparsity, e.g. 2:4 (keeps 2 of every 4 input weights)" };
        var method = new Option<string>("--method") { Description = "magnitude or wanda (|W|·‖X‖ with --calib)", DefaultValueFactory = _ => "magnitude" };
        var calib = new Option<string?>("--calib") { Description = "Calibration text for Wanda's activation norms" };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Calibration chunk length in tokens", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int?>("--chunks") { Description = "Calibration chunks (default: the whole text)" };
        var threads = CommonOptions.Threads();
        var command = new Command("prune", "Prune every block's linear weights (magnitude or Wanda; unstructured or N:M such as 2:4)\n" +
            "  example: quill prune -m model-f16.gguf -o model-wanda50.gguf --sparsity 0.5 --method wanda --calib calibration.txt\n" +
            "  example: quill prune -m model-f16.gguf -o model-2of4.gguf --pattern 2:4 --method magnitude")
        {
            model, output, sparsity, pattern, method, calib, ctx, chunks, threads,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            PruneMethod how = r.GetValue(method)!.ToLowerInvariant() switch
            {
                "magnitude" => PruneMethod.Magnitude,
                "wanda" => PruneMethod.Wanda,
                var other => throw new ArgumentException($"--method '{other}' is not one of: magnitude, wanda"),
            };
            SparsityPattern? structured = r.GetValue(pattern) is { } p ? SparsityPattern.Parse(p) : null;
            string input = r.GetValue(model)!;
            ImportanceMatrix? activations = null;
            if (how == PruneMethod.Wanda)
            {
                string textPath = r.GetValue(calib)
                    ?? throw new ArgumentException("--method wanda needs --calib TEXT (calibration text for the activation norms)");
                if (!File.Exists(textPath)) throw new FileNotFoundException($"{textPath}: no such text file", textPath);
                using LanguageModel lm = LanguageModel.Load(input, new LoadOptions { Threads = r.GetValue(threads) });
                using var bar = new ConsoleProgress("calibrating");
                activations = ImportanceMatrixCollector.Compute(lm, File.ReadAllText(textPath), new ImportanceMatrixOptions
                {
                    Context = r.GetValue(ctx),
                    MaxChunks = r.GetValue(chunks),
                    Dataset = textPath,
                    Progress = new Progress<Evaluation.PerplexityProgress>(q => bar.Report((double)q.Chunk / q.Chunks)),
                }).Matrix;
            }
            string path = r.GetValue(output)!;
            IReadOnlyList<PrunedTensor> pruned;
            using (var bar = new ConsoleProgress("pruning"))
            {
                pruned = ModelPruner.Prune(input, path, new PruneOptions
                {
                    Sparsity = r.GetValue(sparsity),
                    Pattern = structured,
                    Method = how,
                    Activations = activations,
                    Threads = r.GetValue(threads) > 0 ? r.GetValue(threads) : Environment.ProcessorCount,
                    Progress = bar,
                });
            }
            long weights = pruned.Sum(t => t.Weights), zeroed = pruned.Sum(t => t.Zeroed);
            Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: {1} matrices, {2:N0} of {3:N0} weights zeroed ({4:P2}), {5} {6}",
                path, pruned.Count, zeroed, weights, (double)zeroed / Math.Max(1, weights), how.ToString().ToLowerInvariant(),
                structured?.ToString() ?? "unstructured"));
            return 0;
        }));
        return command;
    }
}
