// Picks the converter for a Hugging Face checkpoint folder (by its config.json model_type) or a BERT .onnx export.
namespace Quill.Conversion;

/// <summary>
/// The one entry point of <c>quill convert</c>: Llama-family, GPT-2 and BERT checkpoint folders, and BERT ONNX
/// exports, become GGUF files llama.cpp loads. BERT weights are written as F32.
/// </summary>
public static class CheckpointConverter
{
    /// <summary>model_type values that can be converted.</summary>
    public static IReadOnlyCollection<string> ModelTypes => [.. LlamaCheckpointConverter.Architectures.Keys, "gpt2", "bert"];

    /// <param name="input">A checkpoint folder, or a BERT .onnx file (its vocab.txt beside it, else bert-base-uncased's).</param>
    /// <param name="outputPath"></param>
    /// <param name="options"></param>
    public static void Convert(string input, string outputPath, ConversionOptions? options = null)
    {
        if (File.Exists(input) && input.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            string vocab = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, "vocab.txt");
            Models.Bert.EncoderConverter.OnnxToGguf(input, File.Exists(vocab) ? vocab : null, outputPath);
            return;
        }
        string folder = input;
        string modelType = ReadModelType(folder);
        switch (modelType)
        {
            case "bert":
                Models.Bert.EncoderConverter.SafetensorsToGguf(folder, outputPath);
                break;
            case "gpt2":
                Gpt2CheckpointConverter.Convert(folder, outputPath, options);
                break;
            default:
                if (!LlamaCheckpointConverter.Architectures.ContainsKey(modelType))
                {
                    throw new Formats.ModelFormatException(
                        $"{Path.Combine(folder, "config.json")}: model_type '{modelType}' cannot be converted (supported: {string.Join(", ", ModelTypes)})");
                }
                LlamaCheckpointConverter.Convert(folder, outputPath, options);
                break;
        }
    }

    private static string ReadModelType(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: expected a checkpoint folder with config.json, found no such folder");
        return HuggingFaceCheckpoint.ReadModelType(folder) ?? throw new Formats.ModelFormatException($"{folder}: expected config.json, found none");
    }
}
