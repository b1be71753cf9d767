// How far ahead the weight-streaming kernels prefetch, and whether the decode kernels do on this CPU (chosen once).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Software prefetch for the kernels over interleaved row groups (one sequential stream per thread). With the dot
/// products in between, the hardware prefetcher alone keeps too few lines in flight for one core on Zen 5 and on Intel:
/// 7B Q5_K_M's layer weights streamed at 28 GB/s without it and 37 GB/s prefetching 8 KiB ahead (41.7 GB/s is that Zen 5
/// machine's one-thread read bandwidth); 2 KiB gained nothing and 32 KiB a little less than 8 KiB. On a 2-core Emerald
/// Rapids guest (15.5 GB/s one thread) TinyLlama decoded 1.46–1.68x faster with it (Q4_0 10.1 → 17.0 tok/s, Q8_0 7.3 →
/// 11.0, Q5_K_M 11.5 → 16.2 on one thread), and 16 KiB ahead was no better than 8 KiB.
/// On AMD family 19h (a 2-core Zen 4 EPYC guest, 27 GB/s one thread) the decode kernels run faster without it: TinyLlama
/// Q4_K_M best of eight runs 28.1 against 25.5 tok/s (median 25.9 against 23.9), Q6_K 23.7 against 20.6, Q5_K_M 22.6
/// against 22.1, Q4_0 and Q8_0 the same, and two threads 39–41 against 37–39 on Q4_K_M; 2 KiB ahead was between. So
/// there <see cref="Ahead"/> does nothing, while the prompt-time tiles, which read each row group once between long runs of
/// token pairs, keep prefetching (<see cref="Always"/>: Q4_K_M pp64 66.5–68.5 with against 63.2–67.2 tok/s without).
/// Zen 3 (family 19h too, but AVX2 only) is the other way round: on a 2-core Zen 3 EPYC guest the AVX2 decode kernels run
/// faster prefetching, TinyLlama F16 9.8–9.9 against 8.1–8.2 tok/s on one thread (17.7 against 14.7–15.4 on two), Q8_0
/// 12.8 against 12.4 (24.6 against 23.3), Q4_0 the same, and the K-quant row dot (KQuantTileAvx2.Row, which prefetches
/// with <see cref="Always"/> on every CPU) streamed Q5_K rows from DRAM at 14.5 GB/s against 12.9. So the exception is
/// family 19h with AVX-512, which is Zen 4.
/// </summary>
internal static unsafe class DecodePrefetch
{
    /// <summary>Bytes ahead of the block being read.</summary>
    public const int Distance = 8192;

    /// <summary>Whether the decode kernels prefetch on this CPU (<see cref="DecodePrefetches"/>).</summary>
    public static readonly bool Enabled = !X86Base.IsSupported || DecodePrefetches(CpuVendor.IsAmd, X86Base.CpuId(1, 0).Eax, Avx512F.IsSupported);

    /// <summary>
    /// False on AMD family 19h with AVX-512 (Zen 4), true elsewhere (Zen 3 included); the family from CPUID leaf 1's EAX
    /// (<paramref name="signature"/>).
    /// </summary>
    internal static bool DecodePrefetches(bool amd, int signature, bool avx512) => !(amd && Family(signature) == 0x19 && avx512);

    /// <summary>The CPU family of a CPUID leaf 1 EAX: the base family, plus the extended family when the base is 0xF.</summary>
    internal static int Family(int signature)
    {
        int family = (signature >> 8) & 0xF;
        return family == 0xF ? family + ((signature >> 20) & 0xFF) : family;
    }

    /// <summary>
    /// The decode kernels' prefetch: <see cref="Always"/> where <paramref name="enabled"/>, else nothing. Kernels read
    /// <see cref="Enabled"/> into a local before their loop and pass it here: an AggressiveOptimization method is compiled
    /// before this class may have been initialized, so a read inside the loop kept the class-init check (a helper call)
    /// there, and around it the JIT kept every vector accumulator and constant in memory (Q8_0TileAvx512.Rows, and a
    /// Q4_0 four-row kernel since replaced, loaded and stored their accumulators each block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(bool enabled, byte* at, nint bytes)
    {
        if (enabled) Always(at, bytes);
    }

    /// <summary>Prefetches the lines of [at + Distance, at + Distance + bytes), one per 64 bytes (prefetches never fault).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Always(byte* at, nint bytes)
    {
        if (!Sse.IsSupported) return;
        byte* ahead = at + Distance;
        for (nint l = 0; l < bytes; l += 64) Sse.Prefetch0(ahead + l);
    }
}
