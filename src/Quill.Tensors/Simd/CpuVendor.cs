// Which vendor made this CPU, for the few kernel choices that differ between AMD and Intel cores of the same SIMD level.
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Simd;

/// <summary>The CPU vendor from CPUID leaf 0, read once.</summary>
internal static class CpuVendor
{
    /// <summary>Whether CPUID leaf 0's vendor string (EBX, EDX, ECX) is "AuthenticAMD"; false off x86.</summary>
    public static readonly bool IsAmd = X86Base.IsSupported && ReadIsAmd();

    private static bool ReadIsAmd()
    {
        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163;
    }
}
