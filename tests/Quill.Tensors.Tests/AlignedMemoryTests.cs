// AlignedMemory: alignment on both sides of the huge-page size, every byte writable, and NativeBuffer on top of it.
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
        // Blocks of a huge page or more are aligned to it on Linux (where the advice applies), to 64 bytes elsewhere.
        long expected = bytes >= AlignedMemory.HugePageBytes && OperatingSystem.IsLinux() ? AlignedMemory.HugePageBytes : 64;
        byte* block = (byte*)AlignedMemory.Allocate(bytes);
        try
        {
            Assert.True(block != null);
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
        AlignedMemory.Free(null);
    }

    [Fact]
    public void LargeNativeBufferIsZeroedAndHugePageAligned()
    {
        using var buffer = new NativeBuffer<float>(AlignedMemory.HugePageBytes / sizeof(float) + 17);
        if (OperatingSystem.IsLinux()) Assert.Equal(0L, (long)buffer.Pointer % AlignedMemory.HugePageBytes);
        Assert.True(buffer.Span.IndexOfAnyExcept(0f) < 0);
    }
}
