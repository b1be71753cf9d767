// Protocol Buffers wire-format decoding over a span of a mapped file, every read bounds-checked.
using System.Buffers.Binary;
using System.Text;

namespace Quill.Formats.Onnx;

/// <summary>The wire type in the low three bits of a protobuf tag.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Reads one message's fields in order. Positions in messages are absolute file offsets, so errors and zero-copy views
/// name the byte where they are. A length that runs past the enclosing message, a varint longer than ten bytes, or an
/// unknown wire type throws a one-line <see cref="ModelFormatException"/>.
/// </summary>
internal ref struct ProtobufReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _base;
    private readonly string _file;
    private int _position;

    /// <summary>A reader over <paramref name="data"/>, which starts at file offset <paramref name="baseOffset"/>; <paramref name="where"/> names the
    /// message.</summary>
    public ProtobufReader(ReadOnlySpan<byte> data, long baseOffset, string file, string where)
    {
        _data = data;
        _base = baseOffset;
        _file = file;
        Where = where;
        _position = 0;
    }

    /// <summary>The message being read ("graph.node[3]"), used in error messages.</summary>
    public string Where { get; }

    public readonly bool End => _position >= _data.Length;

    /// <summary>The file offset of the next byte.</summary>
    public readonly long Offset => _base + _position;

    /// <summary>The next tag: field number and wire type.</summary>
    public int ReadTag(out WireType wire)
    {
        long at = Offset;
        ulong tag = ReadVarint("a field tag");
        int field = (int)(tag >> 3);
        wire = (WireType)(tag & 7);
        if (field <= 0 || tag >> 3 > int.MaxValue) throw Fail($"a field number from 1 to 2^29, found {tag >> 3}", at);
        if (wire is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw Fail($"wire type 0, 1, 2 or 5 for field {field}, found {(int)wire}", at);
        return field;
    }

    public ulong ReadVarint(string what)
    {
        long at = Offset;
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length) throw Fail($"{what} (a varint), found the end of the message", at);
            byte b = _data[_position++];
            if (shift == 63 && b > 1) throw Fail($"{what} (a varint of at most 64 bits), found more", at);
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Fail($"{what} (a varint of at most 10 bytes), found a longer one", at);
    }

    public long ReadInt64(string what) => (long)ReadVarint(what);

    /// <summary>An int32 field (sign-extended to 64 bits on the wire), checked to fit.</summary>
    public int ReadInt32(string what)
    {
        long at = Offset;
        long value = (long)ReadVarint(what);
        if (value is < int.MinValue or > int.MaxValue) throw Fail($"{what} within int32, found {value}", at);
        return (int)value;
    }

    public float ReadFixed32Float(string what)
    {
        var bytes = Take(4, what);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    /// <summary>The payload of a length-delimited field as a span and its file offset.</summary>
    public ReadOnlySpan<byte> ReadBytes(string what, out long offset)
    {
        long at = Offset;
        ulong length = ReadVarint($"the length of {what}");
        if (length > (ulong)(_data.Length - _position))
            throw Fail($"{what} of {length} bytes within the {_data.Length - _position} bytes left in {Where}", at);
        offset = Offset;
        return Take((int)length, what);
    }

    public string ReadString(string what)
    {
        var bytes = ReadBytes(what, out long offset);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail($"{what} in UTF-8, found invalid bytes", offset);
        }
    }

    /// <summary>A reader over an embedded message.</summary>
    public ProtobufReader ReadMessage(string where)
    {
        var bytes = ReadBytes(where, out long offset);
        return new ProtobufReader(bytes, offset, _file, where);
    }

    /// <summary>Skips a field's payload.</summary>
    public void Skip(int field, WireType wire)
    {
        string what = $"field {field}";
        switch (wire)
        {
            case WireType.Varint: ReadVarint(what); break;
            case WireType.Fixed64: Take(8, what); break;
            case WireType.Fixed32: Take(4, what); break;
            case WireType.LengthDelimited: ReadBytes(what, out _); break;
            default: throw Fail($"a skippable wire type for field {field}, found {(int)wire}", Offset);
        }
    }

    /// <summary>Throws unless <paramref name="wire"/> is what the field needs.</summary>
    public readonly void Expect(int field, WireType wire, WireType expected, string name)
    {
        if (wire != expected) throw Fail($"{name} (field {field}) with wire type {(int)expected}, found wire type {(int)wire}", Offset);
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > _data.Length - _position)
            throw Fail($"{what}: {count} bytes, found {_data.Length - _position} left", Offset);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    /// <summary>An error at file offset <paramref name="at"/> in the current message.</summary>
    public readonly ModelFormatException Fail(string expectedFound, long at) =>
        new($"{_file}: expected {expectedFound}, at byte {at} in {Where}");
}
