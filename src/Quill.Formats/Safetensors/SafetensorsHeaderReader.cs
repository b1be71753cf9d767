// Parses and validates a safetensors header (length prefix + JSON) against the file's size; the public API is SafetensorsFile.
using System.Text;
using System.Text.Json;

namespace Quill.Formats.Safetensors;

/// <summary>
/// Reads the 8-byte little-endian header length, bounds it (at most <see cref="MaxHeaderBytes"/> and inside the file),
/// parses the JSON and checks every tensor: known dtype, non-negative shape, [begin, end) inside the data section and
/// exactly shape product × dtype size long. Ranges may be unsorted or overlap.
/// </summary>
internal static unsafe class SafetensorsHeaderReader
{
    public const long MaxHeaderBytes = 100_000_000;
    public const string MetadataKey = "__metadata__";

    public static SafetensorsHeader Read(string path, byte* start, long length)
    {
        if (length < 8) throw Fail(path, $"the file has {length} bytes, expected at least the 8-byte header length");
        ulong headerLength = *(ulong*)start;
        if (headerLength > MaxHeaderBytes) throw Fail(path, $"the header length {headerLength} at byte 0 is more than the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > length - 8) throw Fail(path, $"the header length {headerLength} at byte 0 runs past the end of the {length}-byte file");
        long dataOffset = 8 + (long)headerLength;
        long dataLength = length - dataOffset;

        var json = new ReadOnlySpan<byte>(start + 8, (int)headerLength).ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw Fail(path, "the JSON header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException error)
        {
            throw Fail(path, $"the JSON header is malformed: {OneLine(error.Message)}");
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(path, $"the JSON header should be an object, found {root.ValueKind}");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<SafetensorsTensorInfo>();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw Fail(path, $"'{MetadataKey}' appears twice in the header");
                    sawMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                if (index.ContainsKey(property.Name)) throw Fail(path, $"duplicate tensor name '{property.Name}' in the header");
                index.Add(property.Name, tensors.Count);
                tensors.Add(ReadTensor(path, property.Name, property.Value, dataLength));
            }
            return new SafetensorsHeader(dataOffset, metadata, tensors, index);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(path, $"'{MetadataKey}' should be an object of strings, found {value.ValueKind}");
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(path, $"'{MetadataKey}' value of '{entry.Name}' should be a string, found {entry.Value.ValueKind}");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!)) throw Fail(path, $"duplicate '{MetadataKey}' key '{entry.Name}'");
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(path, $"tensor '{name}' should be an object, found {value.ValueKind}");

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(path, $"tensor '{name}' has no \"dtype\" string");
        }
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypeInfo.TryParse(dtypeName, out SafetensorsDType dtype))
        {
            throw Fail(path, $"tensor '{name}' has unknown dtype \"{OneLine(dtypeName)}\"");
        }

        long[] shape = ReadIntegers(path, name, value, "shape", expectedCount: -1);
        long[] offsets = ReadIntegers(path, name, value, "data_offsets", expectedCount: 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw Fail(path, $"tensor '{name}' data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength)
        {
            throw Fail(path, $"tensor '{name}' data ends at byte {end} of the data section, but the section has {dataLength} bytes");
        }

        Int128 bytes = SafetensorsDTypeInfo.Size(dtype);
        foreach (long dim in shape)
        {
            bytes *= dim;
            if (bytes > long.MaxValue) throw Fail(path, $"tensor '{name}' shape [{string.Join(", ", shape)}] is too large");
        }
        if (bytes != end - begin)
        {
            throw Fail(path,
                $"tensor '{name}' ({dtypeName} [{string.Join(", ", shape)}]) needs {bytes} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(string path, string name, JsonElement value, string field, int expectedCount)
    {
        if (!value.TryGetProperty(field, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, $"tensor '{name}' has no \"{field}\" array");
        }
        int count = array.GetArrayLength();
        if (expectedCount >= 0 && count != expectedCount) throw Fail(path, $"tensor '{name}' \"{field}\" has {count} items, expected {expectedCount}");
        var items = new long[count];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
            {
                throw Fail(path, $"tensor '{name}' \"{field}\" item {i} should be a non-negative integer, found {OneLine(item.GetRawText())}");
            }
            items[i++] = v;
        }
        return items;
    }

    private static string OneLine(string text)
    {
        const int MaxShown = 80;
        var line = new StringBuilder(Math.Min(text.Length, MaxShown));
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, MaxShown))) line.Append(char.IsControl(c) ? ' ' : c);
        if (text.Length > MaxShown) line.Append("...");
        return line.ToString();
    }

    private static ModelFormatException Fail(string path, string message) => new($"{path}: {message}");
}
