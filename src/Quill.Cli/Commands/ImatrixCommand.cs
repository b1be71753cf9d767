// `quill imatrix`: an importance matrix from calibration text, in llama-imatrix's GGUF format; the work is Quill.Quantization's.
using System.CommandLine;
using System.Globalization;
using Quill.Evaluation;
using Quill.Quantization;

namespace Quill.Cli.Commands;

internal static class ImatrixCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "Calibration text (UTF-8)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The importance matrix to write", DefaultValueFactory = _ => "imatrix.gguf" };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Tokens per chunk", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int?>("--chunks") { Description = "Use at most this many chunks (default: the whole text)" };
        var processOutput = new Option<bool>("--process-output") { Description = "Also collect output.weight's input" };
        var threads = CommonOptions.Threads();
        var command = new Command("imatrix", "Compute an importance matrix (llama-imatrix's GGUF format) for quill quantize --imatrix\n" +
            "  example: quill imatrix -m model-f16.gguf -f calibration.txt -o imatrix.gguf --chunks 100")
        {
            model, file, output, ctx, chunks, processOutput, threads,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string textPath = r.GetValue(file)!;
            if (!File.Exists(textPath)) throw new FileNotFoundException($"{textPath}: no such text file", textPath);
            string text = File.ReadAllText(textPath);
            using LanguageModel lm = LanguageModel.Load(r.GetValue(model)!, new LoadOptions { Threads = r.GetValue(threads) });
            (ImportanceMatrix matrix, PerplexityResult ppl) result;
            using (var bar = new ConsoleProgress("collecting"))
            {
                result = ImportanceMatrixCollector.Compute(lm, text, new ImportanceMatrixOptions
                {
                    Context = r.GetValue(ctx),
                    MaxChunks = r.GetValue(chunks),
                    ProcessOutput = r.GetValue(processOutput),
                    Dataset = textPath,
                    Progress = new Progress<PerplexityProgress>(p => bar.Report((double)p.Chunk / p.Chunks)),
                });
            }
            string path = r.GetValue(output)!;
            result.matrix.Save(path);
            Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: {1} matrices over {2} chunks of {3} tokens; PPL = {4:F4} +/- {5:F5}",
                path, result.matrix.Entries.Count, result.matrix.ChunkCount, result.matrix.ChunkSize, result.ppl.Perplexity, result.ppl.StandardError));
            return 0;
        }));
        return command;
    }
}
