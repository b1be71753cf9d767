// A Hugging Face checkpoint folder: config.json and its safetensors shards, read as named float tensors.
using System.Buffers.Binary;
using System.Text.Json;
using Quill.Formats;
using Quill.Formats.Safetensors;

namespace Quill.Conversion;

/// <summary>
/// Opens <c>config.json</c> and every safetensors shard of a folder (<c>model.safetensors</c>, the shards an
/// <c>model.safetensors.index.json</c> names, or all <c>*.safetensors</c>), and gives tensors by name as F32, whatever
/// their stored dtype (F32, F16, BF16). Errors name the folder and what is wrong.
/// </summary>
public sealed class HuggingFaceCheckpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, (SafetensorsFile File, SafetensorsTensorInfo Info)> _tensors = new(StringComparer.Ordinal);

    private HuggingFaceCheckpoint(string folder, JsonElement config)
    {
        Folder = folder;
        Config = config;
    }

    public string Folder { get; }

    /// <summary>The root object of config.json.</summary>
    public JsonElement Config { get; }

    public IEnumerable<string> TensorNames => _tensors.Keys;

    public static HuggingFaceCheckpoint Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: expected a checkpoint folder with config.json, found no such folder");
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new ModelFormatException($"{folder}: expected config.json, found none");
        JsonElement config = ReadConfig(configPath);

        var checkpoint = new HuggingFaceCheckpoint(folder, config);
        try
        {
            foreach (string shard in ShardPaths(folder))
            {
                SafetensorsFile file = SafetensorsFile.Open(shard);
                checkpoint._files.Add(file);
                foreach (SafetensorsTensorInfo info in file.Tensors)
                {
                    if (!checkpoint._tensors.TryAdd(info.Name, (file, info)))
                        throw new ModelFormatException($"{shard}: tensor '{info.Name}' is also in {checkpoint._tensors[info.Name].File.Path}");
                }
            }
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
        return checkpoint;
    }

    /// <summary>config.json's model_type of <paramref name="folder"/> ("" when it has none), or null when there is no config.json.</summary>
    public static string? ReadModelType(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) return null;
        return ReadConfig(configPath).TryGetProperty("model_type", out JsonElement type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "";
    }

    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>The shape of a tensor as safetensors stores it (rows first).</summary>
    public long[] Shape(string name) => Find(name).Info.Shape;

    /// <summary>A tensor's values as F32, row-major as stored.</summary>
    public float[] ReadFloats(string name)
    {
        (SafetensorsFile file, SafetensorsTensorInfo info) = Find(name);
        ReadOnlySpan<byte> data = file.GetTensorData(info);
        long count = info.ElementCount;
        if (count > Array.MaxLength) throw new ModelFormatException($"{file.Path}: tensor '{name}' has {count} elements, more than one array holds");
        var values = new float[count];
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(i * 4, 4));
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(data.Slice(i * 2, 2));
                break;
            case SafetensorsDType.BF16:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(i * 2, 2)) << 16);
                break;
            default:
                throw new ModelFormatException($"{file.Path}: tensor '{name}' is {info.DType}, expected F32, F16 or BF16");
        }
        return values;
    }

    /// <summary>An integer from config.json, or <paramref name="fallback"/> when absent (null: required).</summary>
    public int ConfigInt(string key, int? fallback = null) =>
        Config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number
        : fallback ?? throw MissingKey(key, "an integer");

    public float ConfigFloat(string key, float? fallback = null) =>
        Config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetSingle()
        : fallback ?? throw MissingKey(key, "a number");

    public string? ConfigString(string key) =>
        Config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public bool ConfigBool(string key, bool fallback) =>
        Config.TryGetProperty(key, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : fallback;

    public void Dispose()
    {
        foreach (SafetensorsFile file in _files) file.Dispose();
        _files.Clear();
    }

    private (SafetensorsFile File, SafetensorsTensorInfo Info) Find(string name) =>
        _tensors.TryGetValue(name, out var entry) ? entry : throw new ModelFormatException($"{Folder}: expected a tensor named '{name}', found none");

    private ModelFormatException MissingKey(string key, string what) =>
        new($"{Path.Combine(Folder,
            "config.json")}: expected \"{key}\" to be {what}, found {(Config.TryGetProperty(key, out JsonElement v) ? v.ValueKind.ToString() : "nothing")}");

    private static JsonElement ReadConfig(string configPath)
    {
        JsonElement config;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            config = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{configPath}: expected JSON, {e.Message.ReplaceLineEndings(" ")}");
        }
        if (config.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{configPath}: expected a JSON object, found {config.ValueKind}");
        return config;
    }

    private static IEnumerable<string> ShardPaths(string folder)
    {
        string single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(single)) return [single];
        string index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(index));
                if (document.RootElement.TryGetProperty("weight_map", out JsonElement map) && map.ValueKind == JsonValueKind.Object)
                {
                    return map.EnumerateObject().Select(p => p.Value.GetString() ?? "")
                        .Distinct().Select(name => Path.Combine(folder, Path.GetFileName(name))).ToList();
                }
            }
            catch (JsonException e)
            {
                throw new ModelFormatException($"{index}: expected JSON, {e.Message.ReplaceLineEndings(" ")}");
            }
            throw new ModelFormatException($"{index}: expected a \"weight_map\" object");
        }
        string[] all = Directory.GetFiles(folder, "*.safetensors");
        if (all.Length == 0) throw new ModelFormatException($"{folder}: expected model.safetensors or shards, found no .safetensors file");
        Array.Sort(all, StringComparer.Ordinal);
        return all;
    }
}
