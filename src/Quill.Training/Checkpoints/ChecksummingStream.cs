// A write-only pass-through stream that counts bytes and keeps a running CRC-32 of them; not a buffered or seekable stream.
using Quill.Training.Reporting;

namespace Quill.Training.Checkpoints;

internal sealed class ChecksummingStream(Stream inner) : Stream
{
    private uint _running = Crc32.Initial;

    public long BytesWritten { get; private set; }
    public uint Crc => Crc32.Finish(_running);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _running = Crc32.Update(_running, buffer);
        BytesWritten += buffer.Length;
        inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => inner.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
