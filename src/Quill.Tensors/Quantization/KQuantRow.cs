// The public entry sequence every K-quant weight format shares (argument checks, pinning, SIMD-level dispatch); no kernels.
using System.Runtime.CompilerServices;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// The kernels one K-quant weight format supplies, over pinned, already checked memory of <c>count</c> blocks (and as many
/// Q8_K activation blocks). Implemented by a small struct per format so <see cref="KQuantRow{TKernels}"/> specialises.
/// </summary>
internal unsafe interface IKQuantKernels
{
    /// <summary>The ggml name used in error messages, e.g. "Q4_K".</summary>
    static abstract string Format { get; }

    /// <summary>Bytes per 256-weight block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>Scalar dequantizer, bit-exact with ggml's.</summary>
    static abstract void DequantizeReference(byte* blocks, float* destination, int count);

    /// <summary>Vectorized dequantizer (any level above scalar) with exactly the reference's results.</summary>
    static abstract void Dequantize(byte* blocks, float* destination, int count, SimdWidth level);

    /// <summary>Scalar dot with Q8_K activations, bit-exact with ggml's generic kernel.</summary>
    static abstract float DotReference(byte* weights, byte* activations, int count);

    /// <summary>AVX-512 dot (formats without one forward to their AVX2 kernel).</summary>
    static abstract float DotAvx512(byte* weights, byte* activations, int count);

    /// <summary>AVX2 dot.</summary>
    static abstract float DotAvx2(byte* weights, byte* activations, int count);

    /// <summary>Portable Vector128 dot.</summary>
    static abstract float DotVector128(byte* weights, byte* activations, int count);
}

/// <summary>Checks spans, pins them and picks the kernel for the level passed down; one copy for all K-quant formats.</summary>
internal static unsafe class KQuantRow<TKernels> where TKernels : struct, IKQuantKernels
{
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = KQuant.CheckDequantize(TKernels.Format, TKernels.BlockBytes, blocks, destination);
        fixed (byte* xs = blocks)
        fixed (float* ys = destination)
        {
            TKernels.DequantizeReference(xs, ys, count);
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level)
    {
        int count = KQuant.CheckDequantize(TKernels.Format, TKernels.BlockBytes, blocks, destination);
        fixed (byte* xs = blocks)
        fixed (float* ys = destination)
        {
            if (level == SimdWidth.Scalar)
            {
                TKernels.DequantizeReference(xs, ys, count);
            }
            else
            {
                TKernels.Dequantize(xs, ys, count, level);
            }
        }
    }

    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks)
    {
        int count = KQuant.CheckDot(TKernels.Format, TKernels.BlockBytes, weightBlocks, activationBlocks);
        fixed (byte* xs = weightBlocks)
        fixed (byte* ys = activationBlocks)
        {
            return TKernels.DotReference(xs, ys, count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth level)
    {
        int count = KQuant.CheckDot(TKernels.Format, TKernels.BlockBytes, weightBlocks, activationBlocks);
        fixed (byte* xs = weightBlocks)
        fixed (byte* ys = activationBlocks)
        {
            return level switch
            {
                SimdWidth.Vector512 => TKernels.DotAvx512(xs, ys, count),
                SimdWidth.Vector256 => TKernels.DotAvx2(xs, ys, count),
                SimdWidth.Vector128 => TKernels.DotVector128(xs, ys, count),
                _ => TKernels.DotReference(xs, ys, count),
            };
        }
    }
}
