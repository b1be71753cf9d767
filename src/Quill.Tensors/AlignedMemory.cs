// Aligned unmanaged blocks, on request on 2 MiB pages where Linux grants them (fewer TLB misses when decode streams weights).
using System.Runtime.InteropServices;

namespace Quill.Tensors;

/// <summary>
/// Allocates unmanaged memory aligned for the widest SIMD loads. Asked for huge pages, a block of
/// <see cref="HugePageBytes"/> or more is aligned to that size instead and, on Linux, advised for transparent huge pages
/// (madvise MADV_HUGEPAGE, which the default "madvise" mode of /sys/kernel/mm/transparent_hugepage/enabled honours): a
/// decode step streams every weight once, and on 4 KiB pages a 600 MB matrix walks 150,000 pages. Measured on the
/// 2-core Xeon VM: a 604 MB Q4_K matrix from DRAM, one thread, 11.1 to 13.0 GB/s; whole decode 2 to 5 % faster
/// (TinyLlama, 7B). The price there is at first touch: the kernel zeroes each 2 MiB page from memory the hypervisor
/// has not backed yet, about 1.4 s per GB (a 7B Q4_K_M load 3.4 to 9.5 s), hence opt-in. Where the advice is refused
/// the block works the same on small pages. Free every block with <see cref="Free"/>.
/// </summary>
public static unsafe class AlignedMemory
{
    /// <summary>The x86-64 huge page: blocks this large or larger asked for huge pages are aligned to it and so advised.</summary>
    public const int HugePageBytes = 2 << 20;

    private const int SimdAlignment = 64;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private const int MadvisePopulateWrite = 23; // MADV_POPULATE_WRITE

    /// <summary>
    /// An uninitialised block of at least <paramref name="bytes"/> bytes (at least one), on huge pages where
    /// <paramref name="hugePages"/> asks and the block is large enough.
    /// </summary>
    public static void* Allocate(long bytes, bool hugePages = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (!hugePages || bytes < HugePageBytes || !OperatingSystem.IsLinux())
            return NativeMemory.AlignedAlloc((nuint)Math.Max(1, bytes), SimdAlignment);
        nuint rounded = (nuint)((bytes + HugePageBytes - 1) / HugePageBytes * HugePageBytes);
        void* block = NativeMemory.AlignedAlloc(rounded, HugePageBytes);
        _ = Madvise((nint)block, rounded, MadviseHugePage); // advice only: on refusal the pages stay small
        return block;
    }

    /// <summary>
    /// Faults in the whole pages of a block about to be written from end to end, in one call (Linux 5.14+:
    /// madvise MADV_POPULATE_WRITE; elsewhere, or where refused, nothing happens and the pages fault in as they are
    /// written). Reading a model into a fresh block otherwise takes one page fault per 4 KiB, each a trap into the
    /// kernel, which in a virtual machine costs more than the copy itself.
    /// </summary>
    public static void Prefault(void* block, long bytes)
    {
        if (!OperatingSystem.IsLinux() || block == null) return;
        nint page = Environment.SystemPageSize;
        nint start = ((nint)block + page - 1) & ~(page - 1), end = ((nint)block + (nint)bytes) & ~(page - 1);
        if (end > start) _ = Madvise(start, (nuint)(end - start), MadvisePopulateWrite);
    }

    /// <summary>Frees a block from <see cref="Allocate"/>; null is ignored.</summary>
    public static void Free(void* block)
    {
        if (block != null) NativeMemory.AlignedFree(block);
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
