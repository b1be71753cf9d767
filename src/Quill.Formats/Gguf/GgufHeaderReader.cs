// Parses and validates a GGUF v2/v3 header from mapped bytes, bounding every count by the bytes left before allocating; the public API is GgufFile.
using System.Runtime.CompilerServices;
using System.Text;
using Quill.Tensors;

namespace Quill.Formats.Gguf;

/// <summary>
/// Reads the header of a GGUF file: magic, version, counts, metadata key-values, tensor infos. Every length and
/// count is checked against the bytes that remain before anything is allocated for it, so a file that claims
/// 2^62 tensors or a 1 TB string fails quickly with a <see cref="ModelFormatException"/>.
/// </summary>
internal sealed unsafe class GgufHeaderReader
{
    public const uint DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";
    public const int MaxDimensions = 4;
    public const int MaxArrayNesting = 16;

    /// <summary>The GGUF spec's limit on a tensor name, in UTF-8 bytes (llama.cpp's GGML_MAX_NAME).</summary>
    public const int MaxTensorNameBytes = 64;

    // Smallest possible encodings, used to bound counts: a key-value is an empty key (u64 length), a type (u32)
    // and a one-byte value; a tensor info is an empty name, n_dims, one dimension, a type and an offset.
    private const long MinKeyValueBytes = 8 + 4 + 1;
    private const long MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
    private const long MinNestedArrayBytes = 4 + 8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string _path;
    private readonly byte* _base;
    private readonly long _length;
    private long _position;

    private GgufHeaderReader(string path, byte* start, long length)
    {
        _path = path;
        _base = start;
        _length = length;
    }

    public static GgufHeader Read(string path, byte* start, long length) => new GgufHeaderReader(path, start, length).Read();

    private long Remaining => _length - _position;

    private GgufHeader Read()
    {
        if (_length == 0) throw Fail("the file is empty, expected a GGUF header");
        ReadMagic();
        uint version = ReadVersion();

        long countsAt = _position;
        ulong tensorCount = ReadUInt64("tensor count");
        ulong keyValueCount = ReadUInt64("metadata key-value count");
        if (keyValueCount > (ulong)(Remaining / MinKeyValueBytes))
        {
            throw Fail($"metadata key-value count {keyValueCount} at byte {countsAt + 8} is more than the {Remaining} remaining bytes could hold");
        }
        if (tensorCount > (ulong)((Remaining - (long)keyValueCount * MinKeyValueBytes) / MinTensorInfoBytes))
        {
            throw Fail($"tensor count {tensorCount} at byte {countsAt} is more than the {Remaining} remaining bytes could hold");
        }

        var metadata = new OrderedDictionary<string, GgufValue>((int)keyValueCount, StringComparer.Ordinal);
        for (ulong i = 0; i < keyValueCount; i++)
        {
            long keyAt = _position;
            string key = ReadString($"key of metadata entry {i}", strict: true);
            if (metadata.ContainsKey(key)) throw Fail($"duplicate metadata key '{key}' at byte {keyAt}");
            long typeAt = _position;
            uint type = ReadUInt32($"value type of '{key}'");
            if (!Enum.IsDefined((GgufValueType)type)) throw Fail($"metadata '{key}' has unknown value type {type} at byte {typeAt}");
            metadata.Add(key, ReadValue((GgufValueType)type, key, nesting: 0));
        }

        uint alignment = ReadAlignment(metadata);

        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var index = new Dictionary<string, int>((int)tensorCount, StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            GgufTensorInfo tensor = ReadTensorInfo(i);
            if (!index.TryAdd(tensor.Name, tensors.Count)) throw Fail($"duplicate tensor name '{tensor.Name}' (tensor {i})");
            tensors.Add(tensor);
        }

        long dataOffset = AlignUp(_position, alignment);
        foreach (GgufTensorInfo tensor in tensors) CheckTensorPlacement(tensor, alignment, dataOffset);
        return new GgufHeader(version, alignment, dataOffset, metadata, tensors, index);
    }

    private void ReadMagic()
    {
        if (_length < 4) throw Fail($"expected the magic \"GGUF\" at byte 0, but the file has only {_length} bytes");
        if (_base[0] != 'G' || _base[1] != 'G' || _base[2] != 'U' || _base[3] != 'F')
        {
            throw Fail($"expected the magic \"GGUF\" at byte 0, found {Convert.ToHexString(new ReadOnlySpan<byte>(_base, 4))} (not a GGUF file)");
        }
        _position = 4;
    }

    private uint ReadVersion()
    {
        uint version = ReadUInt32("version");
        if (version is 2 or 3) return version;
        if (version == 1) throw Fail("GGUF version 1 is not supported, expected version 2 or 3 (convert the file again with a current llama.cpp)");
        uint swapped = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version);
        if (swapped is 2 or 3) throw Fail($"the file is a big-endian GGUF (version {swapped} byte-swapped), only little-endian files are supported");
        throw Fail($"unsupported GGUF version {version} at byte 4, expected 2 or 3");
    }

    private uint ReadAlignment(OrderedDictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue(AlignmentKey, out GgufValue? value)) return DefaultAlignment;
        if (!GgufValue.IsInteger(value.Type)) throw Fail($"'{AlignmentKey}' must be an integer, found {value.Type}");
        long alignment = value.Value is ulong big && big > int.MaxValue ? -1 : GgufFile.ToInt64(value.Value);
        if (alignment <= 0 || alignment > int.MaxValue || (alignment & (alignment - 1)) != 0)
        {
            throw Fail($"'{AlignmentKey}' must be a non-zero power of two, found {value}");
        }
        return (uint)alignment;
    }

    private GgufTensorInfo ReadTensorInfo(ulong ordinal)
    {
        long nameAt = _position;
        string name = ReadString($"name of tensor {ordinal}", strict: true);
        long nameBytes = _position - nameAt - sizeof(ulong);
        if (nameBytes > MaxTensorNameBytes)
        {
            throw Fail($"the name of tensor {ordinal} at byte {nameAt} is {nameBytes} bytes long ('{name[..Math.Min(name.Length, 40)]}...'), " +
                $"more than the {MaxTensorNameBytes} bytes GGUF allows");
        }
        long dimsAt = _position;
        uint dimensionCount = ReadUInt32($"dimension count of tensor '{name}'");
        if (dimensionCount is 0 or > MaxDimensions)
        {
            throw Fail($"tensor '{name}' has {dimensionCount} dimensions at byte {dimsAt}, expected 1 to {MaxDimensions}");
        }
        var shape = new long[dimensionCount];
        Int128 elements = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            long dimAt = _position;
            ulong dim = ReadUInt64($"dimension {d} of tensor '{name}'");
            if (dim == 0 || dim > long.MaxValue) throw Fail($"tensor '{name}' dimension {d} is {(long)dim}, expected a positive size, at byte {dimAt}");
            shape[d] = (long)dim;
            elements *= (long)dim;
            if (elements > long.MaxValue) throw Fail($"tensor '{name}' shape [{string.Join(", ", shape[..(d + 1)])}] has more than 2^63 elements");
        }
        long typeAt = _position;
        uint type = ReadUInt32($"type of tensor '{name}'");
        if (!GgmlTypeInfo.IsKnown(type)) throw Fail($"tensor '{name}' has unknown ggml type {type} at byte {typeAt}");
        var ggmlType = (GgmlType)type;
        int blockSize = GgmlTypeInfo.BlockSize(ggmlType);
        if (shape[0] % blockSize != 0)
        {
            throw Fail($"tensor '{name}' has {shape[0]} elements per row, not a multiple of the {ggmlType} block size {blockSize}");
        }
        ulong offset = ReadUInt64($"data offset of tensor '{name}'");
        Int128 byteLength = (Int128)(long)elements / blockSize * GgmlTypeInfo.BlockBytes(ggmlType);
        if (byteLength > _length) throw Fail($"tensor '{name}' needs {byteLength} bytes but the whole file has {_length} bytes (header at byte {nameAt})");
        return new GgufTensorInfo(name, ggmlType, shape, offset, (long)byteLength);
    }

    private void CheckTensorPlacement(GgufTensorInfo tensor, uint alignment, long dataOffset)
    {
        if (tensor.Offset % alignment != 0)
        {
            throw Fail($"tensor '{tensor.Name}' data offset {tensor.Offset} is not a multiple of the alignment {alignment}");
        }
        Int128 end = (Int128)dataOffset + tensor.Offset + tensor.ByteLength;
        if ((Int128)dataOffset + tensor.Offset >= _length)
        {
            throw Fail($"tensor '{tensor.Name}' data starts at byte {(Int128)dataOffset + tensor.Offset}, past the end of the {_length}-byte file");
        }
        if (end > _length) throw Fail($"tensor '{tensor.Name}' data ends at byte {end} but the file has {_length} bytes");
    }

    private GgufValue ReadValue(GgufValueType type, string key, int nesting)
    {
        switch (type)
        {
            case GgufValueType.UInt8: return Scalar(type, Read<byte>(new Field("value of", key)));
            case GgufValueType.Int8: return Scalar(type, Read<sbyte>(new Field("value of", key)));
            case GgufValueType.UInt16: return Scalar(type, Read<ushort>(new Field("value of", key)));
            case GgufValueType.Int16: return Scalar(type, Read<short>(new Field("value of", key)));
            case GgufValueType.UInt32: return Scalar(type, Read<uint>(new Field("value of", key)));
            case GgufValueType.Int32: return Scalar(type, Read<int>(new Field("value of", key)));
            case GgufValueType.Float32: return Scalar(type, Read<float>(new Field("value of", key)));
            case GgufValueType.UInt64: return Scalar(type, Read<ulong>(new Field("value of", key)));
            case GgufValueType.Int64: return Scalar(type, Read<long>(new Field("value of", key)));
            case GgufValueType.Float64: return Scalar(type, Read<double>(new Field("value of", key)));
            case GgufValueType.Bool: return Scalar(type, ReadBool(key));
            case GgufValueType.String: return Scalar(type, ReadString(new Field("value of", key), strict: false));
            default: return ReadArray(key, nesting);
        }
    }

    private static GgufValue Scalar(GgufValueType type, object value) => new(type, type, value);

    private GgufValue ReadArray(string key, int nesting)
    {
        if (nesting >= MaxArrayNesting) throw Fail($"metadata '{key}' nests arrays deeper than {MaxArrayNesting} levels at byte {_position}");
        long typeAt = _position;
        uint rawType = ReadUInt32($"array item type of '{key}'");
        if (!Enum.IsDefined((GgufValueType)rawType)) throw Fail($"metadata '{key}' is an array of unknown value type {rawType} at byte {typeAt}");
        var itemType = (GgufValueType)rawType;
        long countAt = _position;
        ulong count = ReadUInt64($"array length of '{key}'");
        long minItemBytes = itemType switch
        {
            GgufValueType.String => 8,
            GgufValueType.Array => MinNestedArrayBytes,
            _ => GgufValue.FixedSize(itemType),
        };
        if (count > (ulong)(Remaining / minItemBytes) || count > (ulong)Array.MaxLength)
        {
            throw Fail($"metadata '{key}' claims {count} array items at byte {countAt}, more than the {Remaining} remaining bytes could hold");
        }
        int n = (int)count;
        object items = itemType switch
        {
            GgufValueType.UInt8 => ReadArray<byte>(n),
            GgufValueType.Int8 => ReadArray<sbyte>(n),
            GgufValueType.UInt16 => ReadArray<ushort>(n),
            GgufValueType.Int16 => ReadArray<short>(n),
            GgufValueType.UInt32 => ReadArray<uint>(n),
            GgufValueType.Int32 => ReadArray<int>(n),
            GgufValueType.Float32 => ReadArray<float>(n),
            GgufValueType.UInt64 => ReadArray<ulong>(n),
            GgufValueType.Int64 => ReadArray<long>(n),
            GgufValueType.Float64 => ReadArray<double>(n),
            GgufValueType.Bool => ReadBoolArray(n, key),
            GgufValueType.String => ReadStringArray(n, key),
            _ => ReadNestedArray(n, key, nesting),
        };
        return new GgufValue(GgufValueType.Array, itemType, items);
    }

    private T[] ReadArray<T>(int count) where T : unmanaged
    {
        // The caller has checked count * sizeof(T) <= Remaining.
        var items = new T[count];
        fixed (T* destination = items)
        {
            Buffer.MemoryCopy(_base + _position, destination, (long)count * sizeof(T), (long)count * sizeof(T));
        }
        _position += (long)count * sizeof(T);
        return items;
    }

    private bool[] ReadBoolArray(int count, string key)
    {
        var items = new bool[count];
        for (int i = 0; i < count; i++) items[i] = ReadBool(key, i);
        return items;
    }

    private string[] ReadStringArray(int count, string key)
    {
        var items = new string[count];
        for (int i = 0; i < count; i++) items[i] = ReadString(new Field("item", key, i), strict: false);
        return items;
    }

    private GgufValue[] ReadNestedArray(int count, string key, int nesting)
    {
        var items = new GgufValue[count];
        for (int i = 0; i < count; i++) items[i] = ReadArray(key, nesting + 1);
        return items;
    }

    private bool ReadBool(string key, long item = -1)
    {
        long at = _position;
        byte value = Read<byte>(new Field("value of", key, item));
        if (value > 1) throw Fail($"metadata '{key}' has bool byte {value} at byte {at}, expected 0 or 1");
        return value == 1;
    }

    private uint ReadUInt32(Field what) => Read<uint>(what);

    private ulong ReadUInt64(Field what) => Read<ulong>(what);

    private T Read<T>(Field what) where T : unmanaged
    {
        Need(sizeof(T), what);
        T value = Unsafe.ReadUnaligned<T>(_base + _position);
        _position += sizeof(T);
        return value;
    }

    /// <summary>Reads a u64 length and that many UTF-8 bytes. Keys and tensor names must be valid UTF-8; values are decoded leniently (invalid bytes become
    /// U+FFFD).</summary>
    private string ReadString(Field what, bool strict)
    {
        long at = _position;
        ulong length = ReadUInt64(what with { Length = true });
        if (length > (ulong)Remaining)
        {
            throw Fail($"the {what} at byte {at} claims {length} bytes but only {Remaining} remain in the {_length}-byte file");
        }
        if (length > int.MaxValue) throw Fail($"the {what} at byte {at} is {length} bytes long, more than a string can hold");
        var bytes = new ReadOnlySpan<byte>(_base + _position, (int)length);
        _position += (long)length;
        if (!strict) return Encoding.UTF8.GetString(bytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail($"the {what} at byte {at} is not valid UTF-8");
        }
    }

    private void Need(long count, Field what)
    {
        if (Remaining < count)
        {
            throw Fail($"the file ends at byte {_length} inside the {what}, which needs {count} bytes from byte {_position}");
        }
    }

    private static long AlignUp(long position, uint alignment) => (position + alignment - 1) / alignment * alignment;

    /// <summary>Names the field being read, for error messages; formatted only when something fails, so reading a 150k-entry vocabulary allocates no
    /// text.</summary>
    private readonly record struct Field(string Kind, string? Key = null, long Item = -1, bool Length = false)
    {
        public static implicit operator Field(string kind) => new(kind);

        public override string ToString() =>
            (Length ? "length of the " : "") + (Item >= 0 ? $"item {Item} of '{Key}'" : Key is null ? Kind : $"{Kind} '{Key}'");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ModelFormatException Fail(string message) => new($"{_path}: {message}");
}
