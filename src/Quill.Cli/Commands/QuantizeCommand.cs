// `quill quantize`: a GGUF model to a quantization mix as llama-quantize makes it; the work is Quill.Quantization's.
using System.CommandLine;
using System.Text.RegularExpressions;
using Quill.Quantization;
using Quill.Tensors;

namespace Quill.Cli.Commands;

internal static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "The GGUF model to quantize (F32, F16, BF16, or already quantized: requantized)" };
        var output = new Argument<string>("OUTPUT") { Description = "The GGUF file to write" };
        var type = new Argument<string>("TYPE") { Description = "The mix: " + string.Join(", ", QuantizationMix.All.Select(m => m.Name)) };
        var leaveOutput = new Option<bool>("--leave-output-tensor") { Description = "Copy output.weight as it is" };
        var pure = new Option<bool>("--pure") { Description = "Every matrix in TYPE's base type (no per-tensor mix rules)" };
        var tensorType = new Option<string[]>("--tensor-type")
        {
            Description = "PATTERN=TYPE: tensors whose name matches the regex PATTERN get TYPE (first match wins; repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var outputType = new Option<string?>("--output-tensor-type") { Description = "Type of output.weight" };
        var embeddingType = new Option<string?>("--token-embedding-type") { Description = "Type of token_embd.weight" };
        var imatrix = new Option<string?>("--imatrix") { Description = "An importance matrix (quill imatrix or llama-imatrix GGUF) to weight the rounding" };
        var threads = new Option<int>("--threads", "-t")
        {
            Description = "Threads (default: every core)", DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var command = new Command("quantize", "Quantize a GGUF model with llama.cpp's mixes (tensors byte-identical to llama-quantize's)\n" +
            "  example: quill quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M\n" +
            "  example: quill quantize model-f16.gguf model-q3_k_m.gguf Q3_K_M --imatrix imatrix.gguf\n" +
            "  example: quill quantize model-f16.gguf model-q8_0.gguf Q8_0 --tensor-type 'ffn_down=q6_k' --leave-output-tensor")
        {
            input, output, type, imatrix, leaveOutput, pure, tensorType, outputType, embeddingType, threads,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string from = r.GetValue(input)!, to = r.GetValue(output)!;
            QuantizationMix mix = QuantizationMix.Parse(r.GetValue(type)!);
            string? imatrixPath = r.GetValue(imatrix);
            var options = new QuantizeOptions
            {
                ImportanceMatrix = imatrixPath is null ? null : ImportanceMatrix.Load(imatrixPath),
                ImportanceMatrixPath = imatrixPath,
                Threads = Math.Max(1, r.GetValue(threads)),
                Types = new TensorTypeOptions
                {
                    LeaveOutputTensor = r.GetValue(leaveOutput),
                    Pure = r.GetValue(pure),
                    Overrides = [.. (r.GetValue(tensorType) ?? []).Select(ParseOverride)],
                    OutputTensorType = r.GetValue(outputType) is { } o ? ParseTensorType(o, "--output-tensor-type") : null,
                    TokenEmbeddingType = r.GetValue(embeddingType) is { } e ? ParseTensorType(e, "--token-embedding-type") : null,
                },
            };
            QuantizeResult result;
            using (var bar = new ConsoleProgress($"quantizing to {mix.Name}"))
            {
                result = ModelQuantizer.Quantize(from, to, mix, options with
                {
                    Progress = new Progress<QuantizeProgress>(p => bar.Report((double)p.BytesDone / Math.Max(1, p.BytesTotal))),
                });
            }
            Print(result, mix, to);
            return 0;
        }));
        return command;
    }

    private static void Print(QuantizeResult result, QuantizationMix mix, string path)
    {
        long elements = result.Plan.Sum(p => p.Tensor.ElementCount);
        foreach (var group in result.Plan.GroupBy(p => p.Target).OrderByDescending(g => g.Sum(p => p.Tensor.ElementCount)))
            Console.Out.WriteLine($"  {group.Key,-6} {group.Count(),5} tensors  {group.Sum(p => p.Tensor.ElementCount),15:N0} weights");
        foreach (PlannedTensor fallback in result.Plan.Where(p => p.FellBack))
        {
            Console.Out.WriteLine($"  note: {fallback.Name} has {fallback.Tensor.Shape[0]} columns, not a whole {mix.DefaultType} block row: " +
                $"{fallback.Target} instead, as llama.cpp does");
        }
        if (result.Requantized.Count > 0)
        {
            Console.Out.WriteLine($"  note: requantized: {string.Join(", ", result.Requantized)} tensors were dequantized first, so their rounding " +
                "errors add up (quantize from F16 or F32 where you can)");
        }
        Console.Out.WriteLine($"{path}: {mix.Name}, {result.InputTensorBytes / 1048576.0:F2} MiB -> {result.OutputTensorBytes / 1048576.0:F2} MiB of tensors " +
            $"({8.0 * result.OutputTensorBytes / Math.Max(1, elements):F2} bits per weight)");
    }

    private static (Regex, GgmlType) ParseOverride(string text)
    {
        int equals = text.LastIndexOf('=');
        if (equals <= 0 || equals == text.Length - 1) throw new ArgumentException($"--tensor-type '{text}': expected PATTERN=TYPE, e.g. ffn_down=q6_k");
        Regex pattern;
        try
        {
            pattern = new Regex(text[..equals], RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--tensor-type '{text}': the pattern is not a valid regular expression ({e.Message})");
        }
        return (pattern, ParseTensorType(text[(equals + 1)..], "--tensor-type"));
    }

    /// <summary>A tensor type by ggml's name (f32, f16, bf16, q4_0 … q8_0, q2_k … q6_k), one Quill can write.</summary>
    private static GgmlType ParseTensorType(string text, string flag)
    {
        GgmlType[] writable = [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];
        foreach (GgmlType t in writable)
            if (string.Equals(t.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase)) return t;
        throw new ArgumentException(
            $"{flag} '{text}' is not a tensor type: expected one of {string.Join(", ", writable.Select(t => t.ToString().ToLowerInvariant()))}");
    }
}
