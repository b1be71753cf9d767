// AlignedMemory: alignment on both sides of the huge-page size, with and without huge pages, every byte writable, also after Prefault.
namespace Quill.Tensors.Tests;

public unsafe class AlignedMemoryTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4097L)]
    [InlineData(AlignedMemory.HugePageBytes - 1L)]
    [InlineData((long)AlignedMemory.HugePageBytes)]
    [InlineData(AlignedMemory.HugePageBytes + 33L)]
    [InlineData(3L * AlignedMemory.HugePageBytes + 4097)]
    public void BlocksAreAlignedAndEveryByteHolds(long bytes)
    {
        Check(bytes, hugePages: false, expected: 64);
        Check(bytes, hugePages: false, expected: 64, prefault: true);
        // Asked for huge pages, blocks of a huge page or more are aligned to it on Linux (where the advice applies).
        Check(bytes, hugePages: true, bytes >= AlignedMemory.HugePageBytes && OperatingSystem.IsLinux() ? AlignedMemory.HugePageBytes : 64);
    }

    private static void Check(long bytes, bool hugePages, long expected, bool prefault = false)
    {
        byte* block = (byte*)AlignedMemory.Allocate(bytes, hugePages);
        try
        {
            Assert.True(block != null);
            // Whole pages only: a block that starts or ends mid-page, or spans no whole page, is left to fault as written.
            if (prefault) AlignedMemory.Prefault(block, bytes);
            Assert.Equal(0L, (long)block % expected);
            for (long i = 0; i < bytes; i++) block[i] = (byte)(i * 7 + 3);
            for (long i = 0; i < bytes; i += 4093) Assert.Equal((byte)(i * 7 + 3), block[i]);
            if (bytes > 0) Assert.Equal((byte)((bytes - 1) * 7 + 3), block[bytes - 1]);
        }
        finally
        {
            AlignedMemory.Free(block);
        }
    }

    [Fact]
    public void NegativeSizeIsRejectedAndNullFreeIsIgnored()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedMemory.Allocate(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedMemory.Allocate(-1, hugePages: true));
        AlignedMemory.Free(null);
        AlignedMemory.Prefault(null, 4096);
    }
}
