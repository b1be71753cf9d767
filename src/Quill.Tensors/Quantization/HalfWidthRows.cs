// Decode-time F16/BF16 kernel: four weight rows against one F32 activation row in one pass, each bit for bit HalfWidthRow's row dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// output[r] = the 512-bit row dot of weight row r with the activations, for r in 0..3: the same two accumulators per
/// row (even and odd 16-lane chunks), the same single-chunk tail, reduction and scalar tail as
/// <see cref="HalfWidthRow{TFloat}"/>'s dot, so every output is that dot's bits. One call per four rows shares each
/// activation load four ways and replaces four calls, four length checks and four reductions spread over short rows
/// (a 768-wide row is only 24 loop trips). Four short row streams train the hardware prefetcher badly (measured 9 against
/// 23 GB/s for one long stream), so the kernel prefetches the next group of rows, contiguous in row-major order, as it goes.
/// </summary>
internal static unsafe class HalfWidthRows<TFloat>
    where TFloat : struct, IHalfWidthFloat
{
    /// <summary>Only where the row dot itself runs at 512 bits, so the two agree.</summary>
    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    /// <summary>
    /// <see cref="RowsDot"/> for a half-width matrix: blocks are elements (block size 1), rows row-major
    /// <paramref name="rowStride"/> bytes apart, the activations F32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        ushort* w0 = (ushort*)weights, w1 = (ushort*)(weights + rowStride);
        ushort* w2 = (ushort*)(weights + 2 * rowStride), w3 = (ushort*)(weights + 3 * rowStride);
        float* x = (float*)activations;
        byte* next = weights + 4 * rowStride;
        int count = blocks, i = 0;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        for (; i + 32 <= count; i += 32)
        {
            Vector512<float> x0 = Vector512.Load(x + i), x1 = Vector512.Load(x + i + 16);
            // The next group of four rows follows this one: its lines in order, four per trip, one group ahead.
            byte* ahead = next + 8 * (nint)i;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 64);
            Sse.Prefetch0(ahead + 128);
            Sse.Prefetch0(ahead + 192);
            a0 = Avx512F.FusedMultiplyAdd(Load(w0 + i), x0, a0);
            b0 = Avx512F.FusedMultiplyAdd(Load(w0 + i + 16), x1, b0);
            a1 = Avx512F.FusedMultiplyAdd(Load(w1 + i), x0, a1);
            b1 = Avx512F.FusedMultiplyAdd(Load(w1 + i + 16), x1, b1);
            a2 = Avx512F.FusedMultiplyAdd(Load(w2 + i), x0, a2);
            b2 = Avx512F.FusedMultiplyAdd(Load(w2 + i + 16), x1, b2);
            a3 = Avx512F.FusedMultiplyAdd(Load(w3 + i), x0, a3);
            b3 = Avx512F.FusedMultiplyAdd(Load(w3 + i + 16), x1, b3);
        }
        for (; i + 16 <= count; i += 16)
        {
            Vector512<float> x0 = Vector512.Load(x + i);
            a0 = Avx512F.FusedMultiplyAdd(Load(w0 + i), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(Load(w1 + i), x0, a1);
            a2 = Avx512F.FusedMultiplyAdd(Load(w2 + i), x0, a2);
            a3 = Avx512F.FusedMultiplyAdd(Load(w3 + i), x0, a3);
        }
        float s0 = Vector512.Sum(a0 + b0), s1 = Vector512.Sum(a1 + b1), s2 = Vector512.Sum(a2 + b2), s3 = Vector512.Sum(a3 + b3);
        for (; i < count; i++)
        {
            s0 += TFloat.ToSingle(w0[i]) * x[i];
            s1 += TFloat.ToSingle(w1[i]) * x[i];
            s2 += TFloat.ToSingle(w2[i]) * x[i];
            s3 += TFloat.ToSingle(w3[i]) * x[i];
        }
        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    /// <summary>Sixteen halves widened to floats, as the row dot widens them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(ushort* w) => TFloat.Widen(Vector256.Load(w));
}
