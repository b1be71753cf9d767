// The 32-element block dot in the exact float order of ggml-cpu's x86 AVX2 kernels (also used by its AVX-512 builds); not ggml's generic C order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Per block: 8 exact int lanes (lane l sums the products of elements 4l..4l+3) converted to float,
/// acc[l] = fma(lane, d_w * d_a, acc[l]) in one accumulator; with a minimum, summs = fma(m_w, s_a, summs) in
/// block order. Result: ((acc[0]+acc[4]) + (acc[2]+acc[6])) + ((acc[1]+acc[5]) + (acc[3]+acc[7])), then + summs.
/// llama.cpp's x86 builds compute exactly this; matching it bit for bit matters because a one-ulp difference in a
/// dot can flip the rounding of a later activation quant and grow into a visible logit difference.
/// </summary>
internal static unsafe class GgmlX86BlockDot
{
    /// <summary>True where <see cref="Run"/> may be called (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>AVX2 dot of <paramref name="blocks"/> weight blocks with activation blocks; identical to <see cref="Reference"/>.</summary>
    public static float Run<TWeight, TActivation>(byte* w, byte* a, int blocks)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Vector256<float> acc = Vector256<float>.Zero;
        float summs = 0;
        for (int i = 0; i < blocks; i++)
        {
            byte* wb = w + i * TWeight.BlockBytes;
            byte* ab = a + i * TActivation.BlockBytes;
            if (TWeight.HasMin)
            {
                summs = MathF.FusedMultiplyAdd(TWeight.Min(wb), TActivation.Sum(ab), summs);
            }

            float d = TWeight.Scale(wb) * TActivation.Scale(ab);
            acc = Fma.MultiplyAdd(LaneSums<TWeight, TActivation>(wb, ab), Vector256.Create(d), acc);
        }

        float sum = HorizontalSum(acc);
        return TWeight.HasMin ? sum + summs : sum;
    }

    /// <summary>ggml's hsum_float_8 order: ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)); every kernel that must agree with it uses this.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HorizontalSum(Vector256<float> acc)
    {
        Vector128<float> half = acc.GetUpper() + acc.GetLower();
        Vector128<float> quarter = half + Sse.MoveHighToLow(half, half);
        return quarter.ToScalar() + quarter.GetElement(1);
    }

    /// <summary>
    /// The same tree over four floats, as ggml folds its 128-bit min accumulators (movehl, then movehdup):
    /// (a0 + a2) + (a1 + a3). Not <see cref="Vector128.Sum{T}(Vector128{T})"/>, which adds (a0 + a1) + (a2 + a3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HorizontalSum(Vector128<float> acc)
    {
        Vector128<float> half = acc + Sse.MoveHighToLow(acc, acc);
        return half.ToScalar() + half.GetElement(1);
    }

    /// <summary>Scalar <see cref="Run"/>: the same lanes, fused multiply-adds and reduction order.</summary>
    public static float Reference<TWeight, TActivation>(byte* w, byte* a, int blocks)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        float summs = 0;
        for (int i = 0; i < blocks; i++)
        {
            byte* wb = w + i * TWeight.BlockBytes;
            byte* ab = a + i * TActivation.BlockBytes;
            sbyte* q = (sbyte*)(ab + TActivation.QuantsOffset);
            if (TWeight.HasMin)
            {
                summs = MathF.FusedMultiplyAdd(TWeight.Min(wb), TActivation.Sum(ab), summs);
            }

            float d = TWeight.Scale(wb) * TActivation.Scale(ab);
            for (int lane = 0; lane < 8; lane++)
            {
                int s = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++)
                {
                    s += TWeight.Quant(wb, j) * q[j];
                }

                acc[lane] = MathF.FusedMultiplyAdd(s, d, acc[lane]);
            }
        }

        float sum = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        return TWeight.HasMin ? sum + summs : sum;
    }

    /// <summary>ggml's mul_sum_us8_pairs_float / mul_sum_i8_pairs_float: 8 exact int lanes as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LaneSums<TWeight, TActivation>(byte* w, byte* a)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Vector256<sbyte> x = TWeight.Quants(w);
        Vector256<sbyte> y = Vector256.Load((sbyte*)(a + TActivation.QuantsOffset));
        Vector256<short> pairs = TWeight.QuantsAreUnsigned
            ? Avx2.MultiplyAddAdjacent(x.AsByte(), y)
            : Avx2.MultiplyAddAdjacent(Avx2.Abs(x), Avx2.Sign(y, x));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One));
    }
}
