// 32 floats to one Q8_0 / Q8_1 block and back, scalar and SIMD, exactly as ggml's quantize_row_q8_0_ref / _q8_1_ref; the row checks are Int8BlockRow's.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// d = max|x| / 127, q = roundf(x * (1/d)) with ties away from zero. Every SIMD step is an exact IEEE operation
/// in the same order as the scalar code (the max is order-free), so the bytes are identical at every width.
/// </summary>
internal static unsafe class Int8BlockQuantizer
{
    /// <summary>
    /// Quantizes one block's 32 floats: d at offset 0, the quants at <paramref name="quantsOffset"/>, and when
    /// <paramref name="sumOffset"/> is not negative fp16(sum(q) * d) there (Q8_1's s, from the unrounded d).
    /// </summary>
    public static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> block, int quantsOffset, int sumOffset) =>
        QuantizeReference(x, block, quantsOffset, sumOffset, Int8Rounding.GgmlReference);

    /// <summary>One block with the chosen rounding convention (see <see cref="Int8Rounding"/>).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> block, int quantsOffset, int sumOffset, Int8Rounding rounding)
    {
        float amax = 0;
        for (int j = 0; j < 32; j++)
        {
            amax = MathF.Max(amax, MathF.Abs(x[j]));
        }

        float d = amax / 127;
        float id = InverseScale(amax, d, rounding);
        Fp16Bits.Store(block, 0, d);
        var midpoint = rounding == Int8Rounding.GgmlReference ? MidpointRounding.AwayFromZero : MidpointRounding.ToEven;
        int sum = 0;
        for (int j = 0; j < 32; j++)
        {
            int q = (int)MathF.Round(x[j] * id, midpoint);
            block[quantsOffset + j] = (byte)(sbyte)q;
            sum += q;
        }

        if (sumOffset >= 0)
        {
            Fp16Bits.Store(block, sumOffset, sum * d);
        }
    }

    /// <summary>dequantize_row_q8_0 for one block: y[j] = q[j] * d, the quants at <paramref name="quantsOffset"/> (Q8_1's s is ignored).</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination, int quantsOffset)
    {
        float d = Fp16Bits.Load(block, 0);
        for (int j = 0; j < 32; j++)
        {
            destination[j] = (sbyte)block[quantsOffset + j] * d;
        }
    }

    /// <summary>Quantizes <paramref name="count"/> blocks; when <paramref name="sumOffset"/> is not negative also stores fp16(sum * d) there (Q8_1).</summary>
    public static void Run(float* x, byte* blocks, int count, int blockBytes, int quantsOffset, int sumOffset, SimdWidth width) =>
        Run(x, blocks, count, blockBytes, quantsOffset, sumOffset, width, Int8Rounding.GgmlReference);

    /// <summary><see cref="Run(float*, byte*, int, int, int, int, SimdWidth)"/> with the chosen rounding convention.</summary>
    public static void Run(float* x, byte* blocks, int count, int blockBytes, int quantsOffset, int sumOffset, SimdWidth width, Int8Rounding rounding)
    {
        bool toEven = rounding == Int8Rounding.LlamaCppX86;
        for (int i = 0; i < count; i++)
        {
            float* source = x + i * 32;
            byte* block = blocks + i * blockBytes;
            float amax = width switch
            {
                SimdWidth.Vector512 => MaxAbs512(source),
                SimdWidth.Vector256 => MaxAbs256(source),
                _ => MaxAbs128(source),
            };
            float d = amax / 127;
            float id = InverseScale(amax, d, rounding);
            Unsafe.WriteUnaligned(block, Fp16Bits.FromSingle(d));
            sbyte* q = (sbyte*)(block + quantsOffset);
            int sum = width switch
            {
                SimdWidth.Vector512 => Round512(source, id, q, toEven),
                SimdWidth.Vector256 => Round256(source, id, q, toEven),
                _ => Round128(source, id, q, toEven),
            };
            if (sumOffset >= 0)
            {
                Unsafe.WriteUnaligned(block + sumOffset, Fp16Bits.FromSingle(sum * d));
            }
        }
    }

    private static float MaxAbs512(float* x)
    {
        Vector512<float> m = Vector512.MaxNative(Vector512.Abs(Vector512.Load(x)), Vector512.Abs(Vector512.Load(x + 16)));
        return MaxAbs128Lanes(Vector128.MaxNative(
            Vector128.MaxNative(m.GetLower().GetLower(), m.GetLower().GetUpper()),
            Vector128.MaxNative(m.GetUpper().GetLower(), m.GetUpper().GetUpper())));
    }

    private static float MaxAbs256(float* x)
    {
        Vector256<float> m = Vector256.MaxNative(
            Vector256.MaxNative(Vector256.Abs(Vector256.Load(x)), Vector256.Abs(Vector256.Load(x + 8))),
            Vector256.MaxNative(Vector256.Abs(Vector256.Load(x + 16)), Vector256.Abs(Vector256.Load(x + 24))));
        return MaxAbs128Lanes(Vector128.MaxNative(m.GetLower(), m.GetUpper()));
    }

    private static float MaxAbs128(float* x)
    {
        Vector128<float> m = Vector128<float>.Zero;
        for (int j = 0; j < 32; j += 4)
        {
            m = Vector128.MaxNative(m, Vector128.Abs(Vector128.Load(x + j)));
        }

        return MaxAbs128Lanes(m);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAbs128Lanes(Vector128<float> m) =>
        MathF.Max(MathF.Max(m.GetElement(0), m.GetElement(1)), MathF.Max(m.GetElement(2), m.GetElement(3)));

    private static int Round512(float* x, float id, sbyte* q, bool toEven)
    {
        Vector512<int> q0 = RoundInt(Vector512.Load(x) * Vector512.Create(id), toEven);
        Vector512<int> q1 = RoundInt(Vector512.Load(x + 16) * Vector512.Create(id), toEven);
        Vector256<short> s0 = Vector256.Narrow(q0.GetLower(), q0.GetUpper());
        Vector256<short> s1 = Vector256.Narrow(q1.GetLower(), q1.GetUpper());
        Vector256.Narrow(s0, s1).Store(q);
        return Vector512.Sum(q0 + q1);
    }

    private static int Round256(float* x, float id, sbyte* q, bool toEven)
    {
        Vector256<float> scale = Vector256.Create(id);
        Vector256<int> q0 = RoundInt(Vector256.Load(x) * scale, toEven);
        Vector256<int> q1 = RoundInt(Vector256.Load(x + 8) * scale, toEven);
        Vector256<int> q2 = RoundInt(Vector256.Load(x + 16) * scale, toEven);
        Vector256<int> q3 = RoundInt(Vector256.Load(x + 24) * scale, toEven);
        Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).Store(q);
        return Vector256.Sum(q0 + q1 + q2 + q3);
    }

    private static int Round128(float* x, float id, sbyte* q, bool toEven)
    {
        Vector128<float> scale = Vector128.Create(id);
        Vector128<int> total = Vector128<int>.Zero;
        for (int j = 0; j < 32; j += 16)
        {
            Vector128<int> q0 = RoundInt(Vector128.Load(x + j) * scale, toEven);
            Vector128<int> q1 = RoundInt(Vector128.Load(x + j + 4) * scale, toEven);
            Vector128<int> q2 = RoundInt(Vector128.Load(x + j + 8) * scale, toEven);
            Vector128<int> q3 = RoundInt(Vector128.Load(x + j + 12) * scale, toEven);
            Vector128.Narrow(Vector128.Narrow(q0, q1), Vector128.Narrow(q2, q3)).Store(q + j);
            total += q0 + q1 + q2 + q3;
        }

        return Vector128.Sum(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float InverseScale(float amax, float d, Int8Rounding rounding) => rounding == Int8Rounding.GgmlReference
        ? (d != 0 ? 1.0f / d : 0.0f)
        : (amax != 0 ? 127.0f / amax : 0.0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundInt(Vector512<float> v, bool toEven) =>
        toEven ? Vector512.ConvertToInt32(Vector512.Round(v)) : RoundAway(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundInt(Vector256<float> v, bool toEven) =>
        toEven ? Vector256.ConvertToInt32(Vector256.Round(v)) : RoundAway(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> RoundInt(Vector128<float> v, bool toEven) =>
        toEven ? Vector128.ConvertToInt32(Vector128.Round(v)) : RoundAway(v);

    // roundf: |v| - trunc|v| is exact, so comparing it with 0.5 decides the tie away from zero without double rounding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundAway(Vector512<float> v)
    {
        Vector512<float> a = Vector512.Abs(v);
        Vector512<float> t = Vector512.Truncate(a);
        Vector512<float> r = t + (Vector512.GreaterThanOrEqual(a - t, Vector512.Create(0.5f)) & Vector512<float>.One);
        return Vector512.ConvertToInt32(Vector512.CopySign(r, v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundAway(Vector256<float> v)
    {
        Vector256<float> a = Vector256.Abs(v);
        Vector256<float> t = Vector256.Truncate(a);
        Vector256<float> r = t + (Vector256.GreaterThanOrEqual(a - t, Vector256.Create(0.5f)) & Vector256<float>.One);
        return Vector256.ConvertToInt32(Vector256.CopySign(r, v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> RoundAway(Vector128<float> v)
    {
        Vector128<float> a = Vector128.Abs(v);
        Vector128<float> t = Vector128.Truncate(a);
        Vector128<float> r = t + (Vector128.GreaterThanOrEqual(a - t, Vector128.Create(0.5f)) & Vector128<float>.One);
        return Vector128.ConvertToInt32(Vector128.CopySign(r, v));
    }
}

/// <summary>Which of ggml's two Q8_0/Q8_1 quantizers to reproduce.</summary>
internal enum Int8Rounding
{
    /// <summary>quantize_row_q8_*_ref: id = 1 / (amax / 127), ties away from zero (how weights are quantized).</summary>
    GgmlReference,

    /// <summary>ggml-cpu's x86 quantize_row_q8_*: id = 127 / amax, ties to even (how llama.cpp quantizes activations there).</summary>
    LlamaCppX86,
}
