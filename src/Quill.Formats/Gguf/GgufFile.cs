// An open GGUF file: validated header, typed metadata accessors and zero-copy tensor views over a read-only map.
using System.Collections.ObjectModel;

namespace Quill.Formats.Gguf;

/// <summary>
/// A GGUF v2 or v3 file, memory-mapped read-only. <see cref="Open"/> validates the whole header and every tensor's
/// placement, so later accesses need no checks. Spans and pointers into the file stay valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly ReadOnlyFileMap _map;
    private readonly Dictionary<string, int> _tensorIndex;

    private GgufFile(ReadOnlyFileMap map, GgufHeader header)
    {
        _map = map;
        _tensorIndex = header.TensorIndex;
        Version = header.Version;
        Alignment = header.Alignment;
        DataOffset = header.DataOffset;
        Metadata = new ReadOnlyDictionary<string, GgufValue>(header.Metadata);
        Tensors = header.Tensors.AsReadOnly();
    }

    /// <summary>Maps and validates a GGUF file. Throws <see cref="ModelFormatException"/> for any malformation.</summary>
    public static GgufFile Open(string path)
    {
        var map = ReadOnlyFileMap.Open(path);
        try
        {
            return new GgufFile(map, GgufHeaderReader.Read(path, map.Pointer, map.Length));
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public string Path => _map.Path;

    public uint Version { get; }

    /// <summary>The data alignment: general.alignment, or 32.</summary>
    public uint Alignment { get; }

    public long FileLength => _map.Length;

    /// <summary>The absolute byte position where the tensor data section starts.</summary>
    public long DataOffset { get; }

    /// <summary>The metadata key-values, enumerated in file order.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public GgufTensorInfo? FindTensor(string name) => _tensorIndex.TryGetValue(name, out int i) ? Tensors[i] : null;

    public GgufTensorInfo GetTensor(string name) => FindTensor(name) ?? throw Fail($"tensor '{name}' is missing");

    /// <summary>The tensor's bytes as a view over the map (no copy). Tensors of 2 GiB and more need <see cref="GetTensorPointer"/>.</summary>
    public ReadOnlySpan<byte> GetTensorData(GgufTensorInfo tensor)
    {
        byte* start = GetTensorPointer(tensor);
        if (tensor.ByteLength > int.MaxValue)
        {
            throw new NotSupportedException($"{Path}: tensor '{tensor.Name}' has {tensor.ByteLength} bytes, too many for a span; use GetTensorPointer");
        }
        return new ReadOnlySpan<byte>(start, (int)tensor.ByteLength);
    }

    /// <summary>A pointer to the tensor's first byte, valid while this file is open.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        byte* start = _map.Pointer;
        long dataLength = Math.Max(0, FileLength - DataOffset);
        if (tensor.Offset > (ulong)dataLength || tensor.ByteLength < 0 || (long)tensor.Offset + tensor.ByteLength > dataLength)
        {
            throw new ArgumentException($"{Path}: tensor '{tensor.Name}' does not lie inside this file's data section", nameof(tensor));
        }
        return start + DataOffset + (long)tensor.Offset;
    }

    /// <summary>
    /// Hints that <paramref name="tensor"/>'s bytes will not be read again soon, so a pass over every tensor (quantizing,
    /// pruning) does not keep the whole file resident: on Linux its whole pages leave this process's memory (a later
    /// read brings them back from the file); elsewhere nothing happens.
    /// </summary>
    public void ReleaseTensorData(GgufTensorInfo tensor)
    {
        _ = GetTensorPointer(tensor); // the same bounds checks
        _map.Release(DataOffset + (long)tensor.Offset, tensor.ByteLength);
    }

    public string? GetString(string key) => Get(key, GgufValueType.String)?.Value as string;

    public bool? GetBool(string key) => Get(key, GgufValueType.Bool)?.Value as bool?;

    public uint? GetUInt32(string key) => GetIntegerIn(key, uint.MinValue, uint.MaxValue) is long v ? (uint)v : null;

    public int? GetInt32(string key) => GetIntegerIn(key, int.MinValue, int.MaxValue) is long v ? (int)v : null;

    /// <summary>Any non-negative integer value as u64.</summary>
    public ulong? GetUInt64(string key)
    {
        GgufValue? value = GetScalar(key);
        if (value is null) return null;
        if (value.Value is ulong u) return u;
        if (!GgufValue.IsInteger(value.Type)) throw WrongType(key, value, "an integer");
        long v = ToInt64(value.Value);
        return v >= 0 ? (ulong)v : throw Fail($"key '{key}' is {v}, expected a non-negative integer");
    }

    /// <summary>Any integer type (llama.cpp files vary between u32 and i32), as a long.</summary>
    public long? GetInteger(string key) => GetIntegerIn(key, long.MinValue, long.MaxValue);

    /// <summary>A Float32 value (a Float64 is narrowed).</summary>
    public float? GetFloat32(string key)
    {
        GgufValue? value = GetScalar(key);
        return value?.Value switch
        {
            null => null,
            float f => f,
            double d => (float)d,
            _ => throw WrongType(key, value, "Float32"),
        };
    }

    /// <summary>An array of strings, as stored (not copied: treat as read-only).</summary>
    public string[]? GetStringArray(string key) => GetArray(key, GgufValueType.String)?.Value as string[];

    /// <summary>An array of Float32 (a Float64 array is narrowed into a new array).</summary>
    public float[]? GetFloat32Array(string key)
    {
        GgufValue? value = GetArrayValue(key);
        return value?.Value switch
        {
            null => null,
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            _ => throw WrongType(key, value, "an array of Float32"),
        };
    }

    /// <summary>An array of Int32; arrays of other integer types are converted when every item fits.</summary>
    public int[]? GetInt32Array(string key)
    {
        GgufValue? value = GetArrayValue(key);
        if (value is null) return null;
        if (value.ElementType == GgufValueType.Int32) return (int[])value.Value;
        if (!GgufValue.IsInteger(value.ElementType)) throw WrongType(key, value, "an array of Int32");
        var source = (Array)value.Value;
        var result = new int[source.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long v = ToInt64(source.GetValue(i)!);
            if (v is < int.MinValue or > int.MaxValue) throw Fail($"key '{key}' item {i} is {v}, outside the Int32 range");
            result[i] = (int)v;
        }
        return result;
    }

    public string RequireString(string key) => GetString(key) ?? throw Missing(key);

    public long RequireInteger(string key) => GetInteger(key) ?? throw Missing(key);

    public float RequireFloat32(string key) => GetFloat32(key) ?? throw Missing(key);

    public void Dispose() => _map.Dispose();

    public override string ToString() => $"{Path}: GGUF v{Version}, {Metadata.Count} keys, {Tensors.Count} tensors";

    /// <summary>Widens any boxed GGUF integer to long; a u64 above long.MaxValue throws OverflowException.</summary>
    internal static long ToInt64(object value) => value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v => checked((long)v),
        long v => v,
        _ => throw new InvalidCastException($"{value.GetType().Name} is not a GGUF integer"),
    };

    private long? GetIntegerIn(string key, long min, long max)
    {
        GgufValue? value = GetScalar(key);
        if (value is null) return null;
        if (!GgufValue.IsInteger(value.Type)) throw WrongType(key, value, "an integer");
        if (value.Value is ulong u && u > (ulong)max) throw Fail($"key '{key}' is {u}, outside the range {min}..{max}");
        long v = ToInt64(value.Value);
        if (v < min || v > max) throw Fail($"key '{key}' is {v}, outside the range {min}..{max}");
        return v;
    }

    private GgufValue? Get(string key, GgufValueType type)
    {
        if (!Metadata.TryGetValue(key, out GgufValue? value)) return null;
        return value.Type == type ? value : throw WrongType(key, value, type.ToString());
    }

    private GgufValue? GetScalar(string key)
    {
        if (!Metadata.TryGetValue(key, out GgufValue? value)) return null;
        return value.IsArray ? throw WrongType(key, value, "a single value") : value;
    }

    private GgufValue? GetArrayValue(string key)
    {
        if (!Metadata.TryGetValue(key, out GgufValue? value)) return null;
        return value.IsArray ? value : throw WrongType(key, value, "an array");
    }

    private GgufValue? GetArray(string key, GgufValueType itemType)
    {
        GgufValue? value = GetArrayValue(key);
        if (value is null) return null;
        return value.ElementType == itemType ? value : throw WrongType(key, value, $"an array of {itemType}");
    }

    private ModelFormatException WrongType(string key, GgufValue value, string expected)
    {
        string found = value.IsArray ? $"an array of {value.ElementType}" : value.Type.ToString();
        return Fail($"key '{key}' should be {expected}, found {found}");
    }

    private ModelFormatException Missing(string key) => Fail($"missing required key '{key}'");

    private ModelFormatException Fail(string message) => new($"{Path}: {message}");
}
