// `quill convert`: a Hugging Face checkpoint folder or a BERT .onnx export to a GGUF file llama.cpp loads; the work is Quill.Conversion's.
using System.CommandLine;
using Quill.Conversion;

namespace Quill.Cli.Commands;

internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("INPUT") { Description = "A checkpoint folder (config.json, *.safetensors, tokenizer files) or a BERT .onnx file" };
        var output = new Option<string>("--output", "-o") { Description = "The GGUF file to write", Required = true };
        var type = new Option<string>("--type")
        {
            Description = "Matrix type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1 (norms stay f32)",
            DefaultValueFactory = _ => "f16"
        };
        var command = new Command("convert", "Convert a Hugging Face checkpoint (Llama, Mistral, Qwen2, GPT-2, BERT) or a BERT ONNX export to GGUF\n" +
            "  example: quill convert ./TinyLlama-1.1B-Chat -o tinyllama-q8_0.gguf --type q8_0")
        {
            input, output, type,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string folder = r.GetValue(input)!, path = r.GetValue(output)!;
            using (var progress = new ConsoleProgress("converting"))
            {
                CheckpointConverter.Convert(folder, path, new ConversionOptions { Type = CreateCommand.ParseType(r.GetValue(type)!), Progress = progress });
            }
            Console.Out.WriteLine($"{path}: {new FileInfo(path).Length:N0} bytes");
            return 0;
        }));
        return command;
    }
}
