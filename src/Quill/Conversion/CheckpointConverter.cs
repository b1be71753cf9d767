// Picks the converter for a Hugging Face checkpoint folder by its config.json model_type; not a converter itself.
using System.Text.Json;

namespace Quill.Conversion;

/// <summary>The one entry point of <c>quill convert</c>: Llama-family and GPT-2 checkpoints become GGUF.</summary>
public static class CheckpointConverter
{
    /// <summary>model_type values that can be converted.</summary>
    public static IReadOnlyCollection<string> ModelTypes => [.. LlamaCheckpointConverter.Architectures.Keys, "gpt2"];

    public static void Convert(string folder, string outputPath, ConversionOptions? options = null)
    {
        string modelType = ReadModelType(folder);
        switch (modelType)
        {
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
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) throw new Formats.ModelFormatException($"{folder}: expected config.json, found none");
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(config));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("model_type", out JsonElement type)
                && type.ValueKind == JsonValueKind.String ? type.GetString()! : "";
        }
        catch (JsonException e)
        {
            throw new Formats.ModelFormatException($"{config}: expected JSON, {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
