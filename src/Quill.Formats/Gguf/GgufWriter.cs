// Builds a GGUF v3 file from metadata and tensor bytes and writes it atomically.
using System.Text;
using Quill.Tensors;

namespace Quill.Formats.Gguf;

/// <summary>
/// Collects metadata (in insertion order) and tensors, then writes a little-endian GGUF v3 file: header, key-values,
/// tensor infos, zero padding to the alignment, and each tensor's bytes padded to the alignment.
/// </summary>
public sealed class GgufWriter
{
    public const uint Version = 3;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly OrderedDictionary<string, GgufValue> _metadata = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    public GgufWriter(uint alignment = GgufHeaderReader.DefaultAlignment)
    {
        CheckAlignment(alignment);
        Alignment = alignment;
        if (alignment != GgufHeaderReader.DefaultAlignment) _metadata.Add(GgufHeaderReader.AlignmentKey, GgufValue.From(alignment));
    }

    /// <summary>The data alignment; setting the key general.alignment (a u32 power of two) changes it.</summary>
    public uint Alignment { get; private set; }

    public int TensorCount => _tensors.Count;

    /// <summary>Sets a key through <see cref="GgufValue.From"/>; an existing key keeps its position.</summary>
    public void Set(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        CheckUtf8(key, nameof(key));
        GgufValue wrapped = GgufValue.From(value);
        if (key == GgufHeaderReader.AlignmentKey)
        {
            if (wrapped.Value is not uint alignment) throw new ArgumentException($"'{key}' must be a uint, got {wrapped.Type}", nameof(value));
            CheckAlignment(alignment);
            Alignment = alignment;
        }
        _metadata[key] = wrapped;
    }

    /// <summary>Removes a key; returns false when it was not set.</summary>
    public bool Remove(string key)
    {
        if (key == GgufHeaderReader.AlignmentKey && _metadata.ContainsKey(key)) Alignment = GgufHeaderReader.DefaultAlignment;
        return _metadata.Remove(key);
    }

    /// <summary>Adds a tensor. <paramref name="shape"/> is ne0 first; <paramref name="data"/> must be exactly the tensor's size. The bytes are not
    /// copied.</summary>
    public void AddTensor(string name, GgmlType type, long[] shape, ReadOnlyMemory<byte> data)
    {
        long expected = CheckTensor(name, type, shape);
        if (data.Length != expected)
        {
            throw new ArgumentException($"tensor '{name}' ({type} [{string.Join(", ", shape)}]) needs {expected} bytes, got {data.Length}", nameof(data));
        }
        _tensorNames.Add(name);
        _tensors.Add(new PendingTensor(name, type, (long[])shape.Clone(), data, expected, null));
    }

    /// <summary>
    /// Adds a tensor whose bytes are made only when the file is written: <paramref name="produce"/> is called then, in
    /// tensor order, and must write exactly the tensor's size to the stream it gets (checked). A writer of a large file
    /// so holds one tensor at a time, not all of them.
    /// </summary>
    public void AddTensor(string name, GgmlType type, long[] shape, Action<Stream> produce)
    {
        ArgumentNullException.ThrowIfNull(produce);
        long expected = CheckTensor(name, type, shape);
        _tensorNames.Add(name);
        _tensors.Add(new PendingTensor(name, type, (long[])shape.Clone(), ReadOnlyMemory<byte>.Empty, expected, produce));
    }

    /// <summary>Validates a tensor to add and returns its byte size.</summary>
    private long CheckTensor(string name, GgmlType type, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        CheckUtf8(name, nameof(name));
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes > GgufHeaderReader.MaxTensorNameBytes)
        {
            throw new ArgumentException($"tensor '{name}' has a {nameBytes}-byte name, GGUF allows at most {GgufHeaderReader.MaxTensorNameBytes}",
                nameof(name));
        }
        if (!GgmlTypeInfo.IsKnown((uint)type)) throw new ArgumentException($"unknown ggml type {(uint)type}", nameof(type));
        if (shape.Length is 0 or > GgufHeaderReader.MaxDimensions)
        {
            throw new ArgumentException($"tensor '{name}' has {shape.Length} dimensions, expected 1 to {GgufHeaderReader.MaxDimensions}", nameof(shape));
        }
        long rows = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] <= 0) throw new ArgumentException($"tensor '{name}' dimension {d} is {shape[d]}, expected a positive size", nameof(shape));
            if (d > 0) rows = checked(rows * shape[d]);
        }
        int blockSize = GgmlTypeInfo.BlockSize(type);
        if (shape[0] % blockSize != 0)
        {
            throw new ArgumentException($"tensor '{name}' has {shape[0]} elements per row, not a multiple of the {type} block size {blockSize}", nameof(shape));
        }
        if (_tensorNames.Contains(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        return checked(GgmlTypeInfo.RowBytes(type, shape[0]) * rows);
    }

    /// <summary>Writes the file as GGUF v3 through a temporary file in the same folder and a rename.</summary>
    public void WriteTo(string path) => AtomicFileWriter.Write(path, WriteTo);

    /// <summary>Writes the file as GGUF v3 to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        using var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write("GGUF"u8);
        output.Write(Version);
        output.Write((ulong)_tensors.Count);
        output.Write((ulong)_metadata.Count);
        foreach (KeyValuePair<string, GgufValue> entry in _metadata)
        {
            WriteString(output, entry.Key);
            output.Write((uint)entry.Value.Type);
            WriteValue(output, entry.Value);
        }

        long offset = 0;
        foreach (PendingTensor tensor in _tensors)
        {
            WriteString(output, tensor.Name);
            output.Write((uint)tensor.Shape.Length);
            foreach (long dim in tensor.Shape) output.Write((ulong)dim);
            output.Write((uint)tensor.Type);
            output.Write((ulong)offset);
            offset = AlignUp(offset + tensor.Length);
        }

        long position = 4 + 4 + 8 + 8 + HeaderBodyLength();
        WritePadding(output, AlignUp(position) - position);
        foreach (PendingTensor tensor in _tensors)
        {
            if (tensor.Produce is { } produce)
            {
                output.Flush();
                var counted = new CountingStream(stream);
                produce(counted);
                if (counted.Written != tensor.Length)
                {
                    throw new InvalidOperationException($"tensor '{tensor.Name}' needs {tensor.Length} bytes, its producer wrote {counted.Written}");
                }
            }
            else
            {
                output.Write(tensor.Data.Span);
            }
            WritePadding(output, AlignUp(tensor.Length) - tensor.Length);
        }
        output.Flush();
    }

    private long HeaderBodyLength()
    {
        long length = 0;
        foreach (KeyValuePair<string, GgufValue> entry in _metadata) length += StringLength(entry.Key) + 4 + ValueLength(entry.Value);
        foreach (PendingTensor tensor in _tensors) length += StringLength(tensor.Name) + 4 + 8L * tensor.Shape.Length + 4 + 8;
        return length;
    }

    private static long StringLength(string s) => 8 + Encoding.UTF8.GetByteCount(s);

    private static long ValueLength(GgufValue value)
    {
        if (value.Type == GgufValueType.String) return StringLength((string)value.Value);
        if (!value.IsArray) return GgufValue.FixedSize(value.Type);
        long length = 4 + 8;
        switch (value.Value)
        {
            case string[] strings:
                foreach (string s in strings) length += StringLength(s);
                break;
            case GgufValue[] arrays:
                foreach (GgufValue inner in arrays) length += ValueLength(inner);
                break;
            default:
                length += (long)((Array)value.Value).Length * GgufValue.FixedSize(value.ElementType);
                break;
        }
        return length;
    }

    private static void WriteValue(BinaryWriter output, GgufValue value)
    {
        switch (value.Value)
        {
            case byte v: output.Write(v); break;
            case sbyte v: output.Write(v); break;
            case ushort v: output.Write(v); break;
            case short v: output.Write(v); break;
            case uint v: output.Write(v); break;
            case int v: output.Write(v); break;
            case float v: output.Write(v); break;
            case bool v: output.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(output, v); break;
            case ulong v: output.Write(v); break;
            case long v: output.Write(v); break;
            case double v: output.Write(v); break;
            case Array items:
                output.Write((uint)value.ElementType);
                output.Write((ulong)items.Length);
                WriteItems(output, items);
                break;
            default:
                throw new InvalidOperationException($"GGUF value of {value.Value.GetType().Name} cannot be written");
        }
    }

    private static void WriteItems(BinaryWriter output, Array items)
    {
        switch (items)
        {
            case byte[] a: output.Write(a); break; // also sbyte[]: the runtime lets it pass as byte[], and the bytes are the same
            case string[] a: foreach (string s in a) WriteString(output, s); break;
            case GgufValue[] a: foreach (GgufValue inner in a) WriteValue(output, inner); break;
            default: foreach (object item in items) WriteValue(output, GgufValue.From(item)); break;
        }
    }

    private static void WriteString(BinaryWriter output, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    private static void WritePadding(BinaryWriter output, long count)
    {
        for (long i = 0; i < count; i++) output.Write((byte)0);
    }

    private long AlignUp(long position) => (position + Alignment - 1) / Alignment * Alignment;

    private static void CheckAlignment(uint alignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "the GGUF alignment must be a non-zero power of two");
        }
    }

    private static void CheckUtf8(string s, string parameter)
    {
        try
        {
            StrictUtf8.GetByteCount(s);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"'{s}' is not valid Unicode (a lone surrogate cannot be written as UTF-8)", parameter);
        }
    }

    /// <summary>A tensor to write: its bytes in <paramref name="Data"/>, or made at write time by <paramref name="Produce"/>.</summary>
    private sealed record PendingTensor(string Name, GgmlType Type, long[] Shape, ReadOnlyMemory<byte> Data, long Length, Action<Stream>? Produce);

    /// <summary>Passes writes through to a stream and counts them (a deferred tensor's producer must write its exact size).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
