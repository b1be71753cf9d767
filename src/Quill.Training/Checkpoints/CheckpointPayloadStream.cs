// A read-only, seekable window onto the payload bytes of an open checkpoint file; owns (and closes) the file.
namespace Quill.Training.Checkpoints;

internal sealed class CheckpointPayloadStream : Stream
{
    private readonly FileStream file;
    private readonly long start;
    private readonly long length;
    private long position;

    public CheckpointPayloadStream(FileStream file, long start, long length)
    {
        this.file = file;
        this.start = start;
        this.length = length;
        file.Position = start;
    }

    public override int Read(Span<byte> buffer)
    {
        int count = (int)Math.Min(buffer.Length, length - position);
        if (count <= 0) return 0;
        if (file.Position != start + position) file.Position = start + position;
        int read = file.Read(buffer.Slice(0, count));
        position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        position = target;
        return position;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => position; set => Seek(value, SeekOrigin.Begin); }
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }
}
