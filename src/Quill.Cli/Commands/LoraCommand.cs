// `quill lora merge`: folds a LoRA adapter into its base model; the work is Quill.Training's LoraMerge.
using System.CommandLine;
using Quill.Tensors;
using Quill.Training.Lora;

namespace Quill.Cli.Commands;

internal static class LoraCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var adapter = new Option<string>("--adapter") { Description = "A LoRA adapter GGUF (llama.cpp's format) for that model", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The merged GGUF file to write", Required = true };
        var type = new Option<string>("--type")
        {
            Description = "Matrix type of the output: f32, f16 or bf16 (norms stay f32)",
            DefaultValueFactory = _ => "f32"
        };
        var merge = new Command("merge", "Fold a LoRA adapter into its base model and write a plain GGUF\n" +
            "  example: quill lora merge -m base.gguf --adapter my-lora.gguf -o merged.gguf --type f16")
        {
            model, adapter, output, type,
        };
        merge.SetAction(r => CliErrors.Run(() =>
        {
            string path = r.GetValue(output)!;
            var ggmlType = CreateCommand.ParseType(r.GetValue(type)!);
            if (ggmlType is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
                throw new ArgumentException($"--type '{r.GetValue(type)}' is not one of: f32, f16, bf16");
            LoraMerge.Merge(r.GetValue(model)!, r.GetValue(adapter)!, path, ggmlType);
            Console.Out.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes)");
            return 0;
        }));
        return new Command("lora", "LoRA adapters (llama.cpp's GGUF format): merge one into its base model") { merge };
    }
}
