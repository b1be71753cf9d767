// CheckpointStore: save/list/prune, payload round trip, truncated and bit-flipped files detected and skipped, temporary leftovers removed.
using Quill.Training.Checkpoints;

namespace Quill.Training.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-ckpt-").FullName;
    private readonly List<string> _skipped = [];

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CheckpointStore Store(int keepLast = 3) => new(_folder, keepLast, _skipped.Add);

    private static byte[] PayloadFor(long step, int length = 1000)
    {
        var bytes = new byte[length];
        new Random((int)step).NextBytes(bytes);
        return bytes;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void SaveKeepsTheLastKAndReturnsThePath()
    {
        var store = Store(keepLast: 3);
        for (long step = 1; step <= 5; step++)
            Assert.Equal(store.PathOf(step * 100), store.Save(step * 100, s => s.Write(PayloadFor(step))));
        Assert.Equal([300L, 400, 500], store.Steps());
        Assert.Equal(["step-00000300.ckpt", "step-00000400.ckpt", "step-00000500.ckpt"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4097)]
    [InlineData(3_000_001)]
    public void PayloadRoundTrips(int length)
    {
        var store = Store();
        byte[] payload = PayloadFor(length, length);
        store.Save(7, s => s.Write(payload));
        Assert.True(store.TryOpenLatest(out long step, out var stream));
        using (stream)
        {
            Assert.Equal(7, step);
            Assert.Equal(length, stream.Length);
            Assert.Equal(payload, ReadAll(stream));
        }
        using var again = store.OpenStep(7);
        if (length > 10)
        {
            again.Position = length - 10;
            Assert.Equal(payload.AsSpan(length - 10).ToArray(), ReadAll(again));
        }
    }

    [Fact]
    public void EmptyFolderHasNoLatest()
    {
        Assert.False(Store().TryOpenLatest(out _, out var payload));
        Assert.Null(payload);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(27)]
    [InlineData(500)]
    [InlineData(1027)]
    public void TruncatedNewestFallsBackToThePrevious(int keptBytes)
    {
        var store = Store();
        store.Save(1, s => s.Write(PayloadFor(1)));
        string newest = store.Save(2, s => s.Write(PayloadFor(2)));
        using (var file = new FileStream(newest, FileMode.Open)) file.SetLength(keptBytes);
        Assert.True(store.TryOpenLatest(out long step, out var payload));
        using (payload) Assert.Equal(PayloadFor(1), ReadAll(payload));
        Assert.Equal(1, step);
        string reason = Assert.Single(_skipped);
        Assert.StartsWith("step-00000002.ckpt: expected", reason);
        Assert.DoesNotContain('\n', reason);
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(5, "version")]
    [InlineData(9, "step")]
    [InlineData(17, "payload length")]
    [InlineData(24, "CRC-32")]
    [InlineData(600, "CRC-32")]
    [InlineData(1025, "CRC-32")]
    public void FlippedByteIsDetected(int offset, string named)
    {
        var store = Store();
        store.Save(1, s => s.Write(PayloadFor(1)));
        string newest = store.Save(2, s => s.Write(PayloadFor(2)));
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(newest, bytes);

        var error = Assert.Throws<InvalidDataException>(() => store.OpenStep(2));
        Assert.StartsWith("step-00000002.ckpt: expected", error.Message);
        Assert.Contains(named, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(store.TryOpenLatest(out long step, out var payload));
        payload.Dispose();
        Assert.Equal(1, step);
        Assert.Single(_skipped);
    }

    [Fact]
    public void LeftoverTemporaryFilesAreIgnoredAndDeleted()
    {
        var store = Store();
        store.Save(3, s => s.Write(PayloadFor(3)));
        string leftover = Path.Combine(_folder, $".step-00000004.ckpt.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(leftover, PayloadFor(4));
        File.WriteAllText(Path.Combine(_folder, "step-abc.ckpt"), "not a step");
        Assert.Equal([3L], store.Steps());
        Assert.True(store.TryOpenLatest(out long step, out var payload));
        payload.Dispose();
        Assert.Equal(3, step);
        Assert.False(File.Exists(leftover));
        Assert.Empty(_skipped);
    }

    [Fact]
    public void FailingPayloadWriterLeavesNothingBehind()
    {
        var store = Store();
        store.Save(1, s => s.Write(PayloadFor(1)));
        Assert.Throws<InvalidOperationException>(() => store.Save(2, s => { s.Write(PayloadFor(2)); throw new InvalidOperationException("disk full"); }));
        Assert.Equal([1L], store.Steps());
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void MissingExplicitStepIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => Store().OpenStep(42));
}
