// An open safetensors file: validated header, metadata and zero-copy tensor views over a read-only map.
using System.Collections.ObjectModel;

namespace Quill.Formats.Safetensors;

/// <summary>
/// A safetensors file, memory-mapped read-only. <see cref="Open"/> validates the header and every tensor's byte range.
/// Spans and pointers into the file stay valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly ReadOnlyFileMap _map;
    private readonly Dictionary<string, int> _tensorIndex;

    private SafetensorsFile(ReadOnlyFileMap map, SafetensorsHeader header)
    {
        _map = map;
        _tensorIndex = header.TensorIndex;
        DataOffset = header.DataOffset;
        Metadata = new ReadOnlyDictionary<string, string>(header.Metadata);
        Tensors = header.Tensors.AsReadOnly();
    }

    /// <summary>Maps and validates a safetensors file. Throws <see cref="ModelFormatException"/> for any malformation.</summary>
    public static SafetensorsFile Open(string path)
    {
        var map = ReadOnlyFileMap.Open(path);
        try
        {
            return new SafetensorsFile(map, SafetensorsHeaderReader.Read(path, map.Pointer, map.Length));
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public string Path => _map.Path;

    public long FileLength => _map.Length;

    /// <summary>The absolute byte position of the data section (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>The "__metadata__" string map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    public SafetensorsTensorInfo? FindTensor(string name) => _tensorIndex.TryGetValue(name, out int i) ? Tensors[i] : null;

    public SafetensorsTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new ModelFormatException($"{Path}: tensor '{name}' is missing");

    /// <summary>The tensor's bytes as a view over the map (no copy). Tensors of 2 GiB and more need <see cref="GetTensorPointer"/>.</summary>
    public ReadOnlySpan<byte> GetTensorData(SafetensorsTensorInfo t)
    {
        byte* start = GetTensorPointer(t);
        if (t.ByteLength > int.MaxValue)
        {
            throw new NotSupportedException($"{Path}: tensor '{t.Name}' has {t.ByteLength} bytes, too many for a span; use GetTensorPointer");
        }
        return new ReadOnlySpan<byte>(start, (int)t.ByteLength);
    }

    /// <summary>A pointer to the tensor's first byte, valid while this file is open.</summary>
    public byte* GetTensorPointer(SafetensorsTensorInfo t)
    {
        ArgumentNullException.ThrowIfNull(t);
        byte* start = _map.Pointer;
        if (t.Begin < 0 || t.End < t.Begin || t.End > FileLength - DataOffset)
        {
            throw new ArgumentException($"{Path}: tensor '{t.Name}' does not lie inside this file's data section", nameof(t));
        }
        return start + DataOffset + t.Begin;
    }

    public void Dispose() => _map.Dispose();

    public override string ToString() => $"{Path}: safetensors, {Metadata.Count} metadata keys, {Tensors.Count} tensors";
}
