// How far ahead the four-row decode kernels prefetch the weight stream they are reading.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Software prefetch for the decode kernels over interleaved row groups (one sequential stream per thread). With the
/// dot products in between, the hardware prefetcher alone keeps too few lines in flight for one core: 7B Q5_K_M's
/// layer weights streamed at 28 GB/s without it and 37 GB/s prefetching 8 KiB ahead (41.7 GB/s is the machine's
/// one-thread read bandwidth); 2 KiB gained nothing and 32 KiB a little less than 8 KiB. On a 2-core Emerald Rapids guest
/// (15.5 GB/s one thread) TinyLlama decoded 1.46–1.68x faster with it (Q4_0 10.1 → 17.0 tok/s, Q8_0 7.3 → 11.0, Q5_K_M
/// 11.5 → 16.2 on one thread), and 16 KiB ahead was no better than 8 KiB.
/// </summary>
internal static unsafe class DecodePrefetch
{
    /// <summary>Bytes ahead of the block being read.</summary>
    public const int Distance = 8192;

    /// <summary>Prefetches the lines of [at + Distance, at + Distance + bytes), one per 64 bytes (prefetches never fault).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(byte* at, nint bytes)
    {
        if (!Sse.IsSupported) return;
        byte* ahead = at + Distance;
        for (nint l = 0; l < bytes; l += 64) Sse.Prefetch0(ahead + l);
    }
}
