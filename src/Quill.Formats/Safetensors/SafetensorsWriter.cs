// Builds a safetensors file (JSON header padded to 8 bytes, then contiguous tensor bytes) and writes it atomically.
using System.Text.Json;

namespace Quill.Formats.Safetensors;

/// <summary>
/// Collects "__metadata__" strings and tensors (in insertion order), then writes a safetensors file. Non-ASCII text
/// stays unescaped in the header, as the reference writer leaves it (the header is never embedded in HTML).
/// </summary>
public sealed class SafetensorsWriter
{
    private const int HeaderAlignment = 8;

    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>Sets a "__metadata__" entry.</summary>
    public void Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    /// <summary>Adds a tensor; <paramref name="shape"/> is row-major, outermost first. The bytes are not copied.</summary>
    public void AddTensor(string name, SafetensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == SafetensorsHeaderReader.MetadataKey) throw new ArgumentException($"'{name}' is reserved for metadata", nameof(name));
        long expected = SafetensorsDTypeInfo.Size(dtype);
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"tensor '{name}' has a negative dimension {dim}", nameof(shape));
            expected = checked(expected * dim);
        }
        if (data.Length != expected)
        {
            throw new ArgumentException($"tensor '{name}' ({SafetensorsDTypeInfo.Name(dtype)} [{string.Join(", ",
                shape)}]) needs {expected} bytes, got {data.Length}", nameof(data));
        }
        if (!_tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        _tensors.Add(new PendingTensor(name, dtype, (long[])shape.Clone(), data));
    }

    /// <summary>Writes the file through a temporary file in the same folder and a rename.</summary>
    public void WriteTo(string path) => AtomicFileWriter.Write(path, WriteTo);

    /// <summary>Writes the file to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        byte[] header = Header();
        int padding = (HeaderAlignment - header.Length % HeaderAlignment) % HeaderAlignment;
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + padding));
        stream.Write(length);
        stream.Write(header);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        foreach (PendingTensor tensor in _tensors) stream.Write(tensor.Data.Span);
        stream.Flush();
    }

    private byte[] Header()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeaderReader.MetadataKey);
                foreach ((string key, string value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (PendingTensor tensor in _tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafetensorsDTypeInfo.Name(tensor.DType));
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private sealed record PendingTensor(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data);
}
