// Hand-assembles GGUF bytes field by field for tests, including deliberately broken files; not the real writer.
using System.Text;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Formats.Tests.Gguf;

internal sealed class GgufBytes
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _out;

    public GgufBytes() => _out = new BinaryWriter(_stream);

    public long Length => _stream.Length;

    /// <summary>Magic, version, tensor count, key-value count.</summary>
    public static GgufBytes Header(uint version, ulong tensorCount, ulong keyValueCount) =>
        new GgufBytes().Raw("GGUF"u8).U32(version).U64(tensorCount).U64(keyValueCount);

    public GgufBytes Raw(ReadOnlySpan<byte> bytes) { _out.Write(bytes); return this; }

    public GgufBytes U8(byte v) { _out.Write(v); return this; }

    public GgufBytes U32(uint v) { _out.Write(v); return this; }

    public GgufBytes U64(ulong v) { _out.Write(v); return this; }

    public GgufBytes Str(string s) => StrBytes(Encoding.UTF8.GetBytes(s));

    public GgufBytes StrBytes(byte[] bytes) { _out.Write((ulong)bytes.Length); _out.Write(bytes); return this; }

    public GgufBytes KeyU32(string key, uint value) => Str(key).U32((uint)GgufValueType.UInt32).U32(value);

    public GgufBytes KeyString(string key, string value) => Str(key).U32((uint)GgufValueType.String).Str(value);

    public GgufBytes Tensor(string name, GgmlType type, long[] shape, ulong offset)
    {
        Str(name).U32((uint)shape.Length);
        foreach (long dim in shape) U64((ulong)dim);
        return U32((uint)type).U64(offset);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/>.</summary>
    public GgufBytes Pad(int alignment = 32)
    {
        while (_stream.Length % alignment != 0) _out.Write((byte)0);
        return this;
    }

    public GgufBytes Zeros(int count) { _out.Write(new byte[count]); return this; }

    public byte[] ToArray() { _out.Flush(); return _stream.ToArray(); }
}
