// Which vector width the kernels run at, detected once.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Simd;

/// <summary>The widest vector path a kernel may take. Kernels take it as a parameter so tests can run each narrower path.</summary>
internal enum SimdWidth
{
    /// <summary>The plain scalar reference code.</summary>
    Scalar = 0,
    /// <summary>Portable <see cref="Vector128{T}"/> code (SSE, NEON, or software).</summary>
    Vector128 = 1,
    /// <summary><see cref="Vector256{T}"/> with AVX2 integer instructions.</summary>
    Vector256 = 2,
    /// <summary><see cref="Vector512{T}"/> with AVX-512 F/BW.</summary>
    Vector512 = 3,
}

/// <summary>The best width this machine runs, fixed at startup so the JIT folds the dispatch away.</summary>
internal static class SimdCapability
{
    /// <summary>The widest accelerated path; honours DOTNET_EnableAVX512=0 (.NET 10 spelling) and DOTNET_EnableAVX2=0.</summary>
    public static readonly SimdWidth Best =
        Vector512.IsHardwareAccelerated && Avx512BW.IsSupported && Avx512F.IsSupported ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? SimdWidth.Vector256
        : SimdWidth.Vector128;

    /// <summary>Every width this machine can run, narrowest first (for tests).</summary>
    public static IEnumerable<SimdWidth> Supported()
    {
        for (var width = SimdWidth.Scalar; width <= Best; width++)
        {
            yield return width;
        }
    }
}
