// Reads the binary states of training (AdamW moments, a loop's weights) exactly, failing with one line; also writes the parameter headers it checks.
using System.Runtime.InteropServices;
using System.Text;

namespace Quill.Training.Optimization;

/// <summary>
/// Reads exact byte counts (looping over short reads) and turns a short or mismatched stream into one-line
/// InvalidDataExceptions: "{source}: expected …, at byte N". Parameters are recorded as: int32 name byte length, UTF-8
/// name, int32 element count (<see cref="WriteParameterHeader"/>), each checked against the parameter it must restore.
/// </summary>
internal sealed class StateReader(Stream stream, string source)
{
    private readonly byte[] _scalar = new byte[8];

    public long Position { get; private set; }

    public uint ReadUInt32(string what) { Fill(_scalar.AsSpan(0, 4), what); return BitConverter.ToUInt32(_scalar, 0); }
    public int ReadInt32(string what) { Fill(_scalar.AsSpan(0, 4), what); return BitConverter.ToInt32(_scalar, 0); }
    public long ReadInt64(string what) { Fill(_scalar.AsSpan(0, 8), what); return BitConverter.ToInt64(_scalar, 0); }

    public byte[] ReadBytes(int count, string what)
    {
        var bytes = new byte[count];
        Fill(bytes, what);
        return bytes;
    }

    public float[] ReadFloats(int count, string what)
    {
        var values = new float[count];
        Fill(MemoryMarshal.AsBytes(values.AsSpan()), what);
        return values;
    }

    /// <summary>The parameter count, which must be that of <paramref name="parameters"/>.</summary>
    public void ReadParameterCount(ParameterSet parameters)
    {
        long at = Position;
        int count = ReadInt32("parameter count");
        if (count != parameters.Count) Fail($"{parameters.Count} parameters, found {count}", at);
    }

    /// <summary>The name and element count of parameter <paramref name="index"/>, which must be <paramref name="p"/>'s.</summary>
    public void ReadParameterHeader(Parameter p, int index, int maxNameBytes)
    {
        long nameAt = Position;
        int nameBytes = ReadInt32("name length");
        if (nameBytes < 0 || nameBytes > maxNameBytes) Fail($"a name of 0..{maxNameBytes} bytes, found {nameBytes}", nameAt);
        string name = Encoding.UTF8.GetString(ReadBytes(nameBytes, "name"));
        if (name != p.Name) Fail($"parameter {index} named '{p.Name}', found '{name}'", nameAt);
        long lengthAt = Position;
        int length = ReadInt32("element count");
        if (length != p.Length) Fail($"{p.Length} elements for '{p.Name}', found {length}", lengthAt);
    }

    /// <summary>What <see cref="ReadParameterHeader"/> reads back.</summary>
    public static void WriteParameterHeader(BinaryWriter writer, Parameter p)
    {
        var name = Encoding.UTF8.GetBytes(p.Name);
        writer.Write(name.Length);
        writer.Write(name);
        writer.Write(p.Length);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Fail(string expectedFound, long offset) =>
        throw new InvalidDataException($"{source}: expected {expectedFound}, at byte {offset}");

    private void Fill(Span<byte> buffer, string what)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = stream.Read(buffer[done..]);
            if (read == 0) Fail($"{buffer.Length} bytes of {what}, found {done} before the end of the file", Position);
            done += read;
        }
        Position += buffer.Length;
    }
}
