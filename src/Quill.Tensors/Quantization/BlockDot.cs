// The dot of 32-element weight blocks with int8 activation blocks: GgmlX86BlockDot on AVX2 at 256 bits or more, else the shared 128-bit loop here.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Integer block sums are exact at every width; each block's sum is scaled by d_w*d_a into per-lane float
/// accumulators, so only the float accumulation order differs from the scalar reference. On AVX2 machines the
/// 256- and 512-bit widths both run <see cref="GgmlX86BlockDot"/>, bit-exact with ggml-cpu's x86 kernels.
/// </summary>
internal static unsafe class BlockDot
{
    /// <summary>Dot of <paramref name="blocks"/> weight blocks at <paramref name="weights"/> with activation blocks.</summary>
    public static float Run<TWeight, TActivation>(byte* weights, byte* activations, int blocks, SimdWidth width)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock =>
        width >= SimdWidth.Vector256 && GgmlX86BlockDot.IsSupported
            ? GgmlX86BlockDot.Run<TWeight, TActivation>(weights, activations, blocks)
            : Run128<TWeight, TActivation>(weights, activations, blocks);

    private static float Run128<TWeight, TActivation>(byte* w, byte* a, int blocks)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Vector128<float> acc0 = Vector128<float>.Zero;
        Vector128<float> acc1 = Vector128<float>.Zero;
        Vector128<float> minTerms = Vector128<float>.Zero;
        int i = 0;
        for (; i + 1 < blocks; i += 2)
        {
            byte* w0 = w + i * TWeight.BlockBytes;
            byte* w1 = w0 + TWeight.BlockBytes;
            byte* a0 = a + i * TActivation.BlockBytes;
            byte* a1 = a0 + TActivation.BlockBytes;
            Vector128<float> scales = PairScales<TWeight, TActivation>(w0, w1, a0, a1);
            acc0 = Vector128.MultiplyAddEstimate(Sums128<TWeight, TActivation>(w0, a0), Vector128.Create(scales.ToScalar()), acc0);
            acc1 = Vector128.MultiplyAddEstimate(Sums128<TWeight, TActivation>(w1, a1), Vector128.Create(scales.GetElement(1)), acc1);
            if (TWeight.HasMin)
            {
                minTerms += scales;
            }
        }

        if (i < blocks)
        {
            byte* w0 = w + i * TWeight.BlockBytes;
            byte* a0 = a + i * TActivation.BlockBytes;
            acc0 = Vector128.MultiplyAddEstimate(Sums128<TWeight, TActivation>(w0, a0), Vector128.Create(Scale<TWeight, TActivation>(w0, a0)), acc0);
            if (TWeight.HasMin)
            {
                minTerms += Vector128.Create(0f, 0f, TWeight.Min(w0) * TActivation.Sum(a0), 0f);
            }
        }

        return Vector128.Sum(acc0 + acc1) + MinSum<TWeight>(minTerms);
    }

    /// <summary>
    /// Two blocks' fp16 scales converted in one vector: lanes 0 and 1 hold d_w * d_a of each block, lanes 2 and 3
    /// m_w * s_a when the weights have a minimum (else garbage that <see cref="MinSum"/> never reads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> PairScales<TWeight, TActivation>(byte* w0, byte* w1, byte* a0, byte* a1)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Vector128<uint> weightBits = Vector128.Create(
            (uint)*(ushort*)(w0 + TWeight.ScaleOffset), *(ushort*)(w1 + TWeight.ScaleOffset),
            *(ushort*)(w0 + TWeight.MinOffset), *(ushort*)(w1 + TWeight.MinOffset));
        Vector128<uint> activationBits = Vector128.Create(
            (uint)*(ushort*)(a0 + TActivation.ScaleOffset), *(ushort*)(a1 + TActivation.ScaleOffset),
            *(ushort*)(a0 + TActivation.SumOffset), *(ushort*)(a1 + TActivation.SumOffset));
        return Fp16Bits.ToSingle(weightBits) * Fp16Bits.ToSingle(activationBits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MinSum<TWeight>(Vector128<float> minTerms)
        where TWeight : struct, IQuantBlock =>
        TWeight.HasMin ? minTerms.GetElement(2) + minTerms.GetElement(3) : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale<TWeight, TActivation>(byte* w, byte* a)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock =>
        TWeight.Scale(w) * TActivation.Scale(a);

    /// <summary>4 int lanes summing to the block's integer dot, as floats, with portable widening multiplies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Sums128<TWeight, TActivation>(byte* w, byte* a)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        sbyte* q = (sbyte*)(a + TActivation.QuantsOffset);
        (Vector128<short> x0, Vector128<short> x1) = Vector128.Widen(TWeight.QuantsLow(w));
        (Vector128<short> x2, Vector128<short> x3) = Vector128.Widen(TWeight.QuantsHigh(w));
        (Vector128<short> y0, Vector128<short> y1) = Vector128.Widen(Vector128.Load(q));
        (Vector128<short> y2, Vector128<short> y3) = Vector128.Widen(Vector128.Load(q + 16));
        Vector128<int> sum = PairSums(x0, y0) + PairSums(x1, y1) + PairSums(x2, y2) + PairSums(x3, y3);
        return Vector128.ConvertToSingle(sum);
    }

    /// <summary>a[2i]*b[2i] + a[2i+1]*b[2i+1] in int32 lanes (pmaddwd where available).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> PairSums(Vector128<short> a, Vector128<short> b)
    {
        if (Sse2.IsSupported)
        {
            return Sse2.MultiplyAddAdjacent(a, b);
        }

        (Vector128<int> a0, Vector128<int> a1) = Vector128.Widen(a);
        (Vector128<int> b0, Vector128<int> b1) = Vector128.Widen(b);
        return a0 * b0 + a1 * b1;
    }
}
