// Calls into the real ggml (the scalar, no-AVX build shipped in LLamaSharp.Backend.Cpu) for K-quant differential tests; not a binding for production use.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Quill.Tensors.Tests.Quantization;

/// <summary>
/// ggml's own reference functions, loaded from the no-AVX native build so that no FMA contraction or SIMD path is involved:
/// dequantize_row_*, quantize_row_*_ref and quantize_* (libggml-base) and ggml_vec_dot_*_q8_K_generic (libggml-cpu).
/// </summary>
internal static unsafe class KNativeGgml
{
    private static readonly Lazy<(nint Base, nint Cpu)> Libraries = new(Load);

    /// <summary>ggml's dequantize_row_{type}(blocks, destination, k).</summary>
    public static void Dequantize(string type, ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        var f = (delegate* unmanaged<byte*, float*, long, void>)Export(Libraries.Value.Base, $"dequantize_row_{type}");
        fixed (byte* x = blocks)
        fixed (float* y = destination)
        {
            f(x, y, destination.Length);
        }
    }

    /// <summary>ggml's quantize_row_{type}_ref(source, blocks, k).</summary>
    public static void QuantizeReference(string type, ReadOnlySpan<float> source, Span<byte> blocks)
    {
        var f = (delegate* unmanaged<float*, byte*, long, void>)Export(Libraries.Value.Base, $"quantize_row_{type}_ref");
        fixed (float* x = source)
        fixed (byte* y = blocks)
        {
            f(x, y, source.Length);
        }
    }

    /// <summary>
    /// ggml's quantize_{type}(source, destination, rows, n_per_row, imatrix), the entry llama-quantize reaches through
    /// ggml_quantize_chunk: <paramref name="rows"/> rows of source.Length / rows floats; an empty <paramref name="importance"/>
    /// passes NULL (ggml then runs quantize_row_{type}_ref), else one value per column. Returns the bytes ggml reports.
    /// </summary>
    public static long Quantize(string type, ReadOnlySpan<float> source, Span<byte> destination, int rows, ReadOnlySpan<float> importance) =>
        Quantize(Libraries.Value.Base, type, source, destination, rows, importance);

    /// <summary><see cref="Quantize(string, ReadOnlySpan{float}, Span{byte}, int, ReadOnlySpan{float})"/> from another build's
    /// libggml-base ("avx2", "avx512"), loaded beside the no-AVX one.</summary>
    public static long Quantize(string build, string type, ReadOnlySpan<float> source, Span<byte> destination, int rows,
        ReadOnlySpan<float> importance) =>
        Quantize(OtherBase(build), type, source, destination, rows, importance);

    /// <summary>The path of <paramref name="build"/>'s libggml-base.so ("noavx", "avx2", "avx512").</summary>
    public static string BasePath(string build) =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", build, "libggml-base.so");

    private static long Quantize(nint library, string type, ReadOnlySpan<float> source, Span<byte> destination, int rows,
        ReadOnlySpan<float> importance)
    {
        var f = (delegate* unmanaged<float*, byte*, long, long, float*, nuint>)Export(library, $"quantize_{type}");
        fixed (float* x = source)
        fixed (byte* y = destination)
        fixed (float* w = importance)
        {
            return (long)f(x, y, rows, source.Length / rows, importance.IsEmpty ? null : w);
        }
    }

    private static readonly ConcurrentDictionary<string, nint> OtherBases = new();

    // A full path makes the dynamic loader map a second copy rather than reuse the no-AVX libggml-base of the same soname.
    private static nint OtherBase(string build)
    {
        _ = Libraries.Value;
        return OtherBases.GetOrAdd(build, b => NativeLibrary.Load(BasePath(b)));
    }

    /// <summary>ggml_vec_dot_{type}_q8_K_generic over <paramref name="elements"/> elements.</summary>
    public static float DotGeneric(string type, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int elements) =>
        DotGeneric(type, "q8_K", weights, activations, elements);

    /// <summary>ggml_vec_dot_{type}_{activationType}_generic over <paramref name="elements"/> elements.</summary>
    public static float DotGeneric(string type, string activationType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int elements)
    {
        var f = (delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)
            Export(Libraries.Value.Cpu, $"ggml_vec_dot_{type}_{activationType}_generic");
        float s = 0;
        fixed (byte* x = weights)
        fixed (byte* y = activations)
        {
            f(elements, &s, 0, x, 0, y, 0, 1);
        }
        return s;
    }

    /// <summary>
    /// ggml_vec_dot_{type}_{activationType} from the AVX2 build (the x86 SIMD kernel llama.cpp runs on AVX2 and AVX-512
    /// machines), with its own fp16 table filled by its own ggml_cpu_init.
    /// </summary>
    public static float DotX86(string type, string activationType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int elements)
    {
        var f = (delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)
            Export(Avx2Cpu.Value, $"ggml_vec_dot_{type}_{activationType}");
        float s = 0;
        fixed (byte* x = weights)
        fixed (byte* y = activations)
        {
            f(elements, &s, 0, x, 0, y, 0, 1);
        }
        return s;
    }

    private static readonly Lazy<nint> Avx2Cpu = new(() =>
    {
        _ = Libraries.Value;
        nint library = NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "avx2", "libggml-cpu.so"));
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(library, "ggml_cpu_init"))();
        return library;
    });

    private static nint Export(nint library, string name) => NativeLibrary.GetExport(library, name);

    private static (nint, nint) Load()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "noavx");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !Directory.Exists(directory))
        {
            throw new PlatformNotSupportedException(
                $"K-quant differential tests need the linux-x64 no-AVX ggml from LLamaSharp.Backend.Cpu, not found at {directory}");
        }
        nint baseLibrary = NativeLibrary.Load(Path.Combine(directory, "libggml-base.so"));
        nint cpuLibrary = NativeLibrary.Load(Path.Combine(directory, "libggml-cpu.so"));
        // Fills the fp16 table the generic dot products read on builds without F16C.
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(cpuLibrary, "ggml_cpu_init"))();
        return (baseLibrary, cpuLibrary);
    }
}
