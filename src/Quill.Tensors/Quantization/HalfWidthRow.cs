// What F16 and BF16 rows share (dots with F32 activations, expansion, rounding): checks, references and SIMD loops; the bit conversions are Fp16Bits, Bf16Bits.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>A 16-bit float encoding: its scalar and vector conversions (lanes hold the bits in the low half of a uint).</summary>
internal interface IHalfWidthFloat
{
    /// <summary>The ggml type name used in error messages.</summary>
    static abstract string Name { get; }

    static abstract float ToSingle(ushort bits);
    static abstract ushort FromSingle(float value);
    static abstract Vector128<float> ToSingle(Vector128<uint> bits);
    static abstract Vector256<float> ToSingle(Vector256<uint> bits);
    static abstract Vector512<float> ToSingle(Vector512<uint> bits);

    /// <summary>Sixteen values loaded as 16-bit lanes, widened to floats (the 512-bit kernels' load).</summary>
    static abstract Vector512<float> Widen(Vector256<ushort> bits);

    /// <summary>Eight values loaded as 16-bit lanes, widened to floats exactly where <see cref="AreFinite"/> holds (the AVX2 kernels' load).</summary>
    static abstract Vector256<float> WidenFinite(Vector128<ushort> bits);

    /// <summary>Whether <see cref="WidenFinite"/> widens these values exactly (no F16 infinity or NaN among them).</summary>
    static abstract unsafe bool AreFinite(ushort* bits, int count);

    /// <summary>Whether <see cref="WidenFinite"/> widens every value exactly (no finiteness check needed).</summary>
    static abstract bool WidensEveryValue { get; }
    static abstract Vector128<uint> FromSingle(Vector128<float> value);
    static abstract Vector256<uint> FromSingle(Vector256<float> value);
    static abstract Vector512<uint> FromSingle(Vector512<float> value);
}

/// <summary>IEEE binary16 (ggml F16).</summary>
internal readonly struct Fp16Float : IHalfWidthFloat
{
    public static string Name => "F16";
    public static float ToSingle(ushort bits) => Fp16Bits.ToSingle(bits);
    public static ushort FromSingle(float value) => Fp16Bits.FromSingle(value);
    public static Vector128<float> ToSingle(Vector128<uint> bits) => Fp16Bits.ToSingle(bits);
    public static Vector256<float> ToSingle(Vector256<uint> bits) => Fp16Bits.ToSingle(bits);
    public static Vector512<float> ToSingle(Vector512<uint> bits) => Fp16Bits.ToSingle(bits);
    public static Vector512<float> Widen(Vector256<ushort> bits) => Fp16Bits.Widen(bits);
    public static Vector256<float> WidenFinite(Vector128<ushort> bits) => Fp16Bits.WidenFinite(bits);
    public static unsafe bool AreFinite(ushort* bits, int count) => Fp16Bits.AreFinite(bits, count);
    public static bool WidensEveryValue => false;
    public static Vector128<uint> FromSingle(Vector128<float> value) => Fp16Bits.FromSingle(value);
    public static Vector256<uint> FromSingle(Vector256<float> value) => Fp16Bits.FromSingle(value);
    public static Vector512<uint> FromSingle(Vector512<float> value) => Fp16Bits.FromSingle(value);
}

/// <summary>bfloat16 (ggml BF16).</summary>
internal readonly struct Bf16Float : IHalfWidthFloat
{
    public static string Name => "BF16";
    public static float ToSingle(ushort bits) => Bf16Bits.ToSingle(bits);
    public static ushort FromSingle(float value) => Bf16Bits.FromSingle(value);
    public static Vector128<float> ToSingle(Vector128<uint> bits) => Bf16Bits.ToSingle(bits);
    public static Vector256<float> ToSingle(Vector256<uint> bits) => Bf16Bits.ToSingle(bits);
    public static Vector512<float> ToSingle(Vector512<uint> bits) => Bf16Bits.ToSingle(bits);
    public static Vector512<float> Widen(Vector256<ushort> bits) => Bf16Bits.ToSingle(Avx512F.ConvertToVector512UInt32(bits));
    public static Vector256<float> WidenFinite(Vector128<ushort> bits) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(bits), 16).AsSingle();
    public static unsafe bool AreFinite(ushort* bits, int count) => true; // a shift widens every bfloat16 exactly
    public static bool WidensEveryValue => true;
    public static Vector128<uint> FromSingle(Vector128<float> value) => Bf16Bits.FromSingle(value);
    public static Vector256<uint> FromSingle(Vector256<float> value) => Bf16Bits.FromSingle(value);
    public static Vector512<uint> FromSingle(Vector512<float> value) => Bf16Bits.FromSingle(value);
}

/// <summary>
/// Everything behind <see cref="F16Row"/> and <see cref="BF16Row"/>: length checks, the scalar references and the SIMD loops
/// over 16-bit values (a scalar tail finishes what the vectors leave).
/// </summary>
internal static unsafe class HalfWidthRow<TFloat>
    where TFloat : struct, IHalfWidthFloat
{
    public static void DequantizeReference(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ReadOnlySpan<ushort> bits = Elements(source, destination.Length);
        for (int i = 0; i < bits.Length; i++)
        {
            destination[i] = TFloat.ToSingle(bits[i]);
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            DequantizeReference(source, destination);
            return;
        }

        ReadOnlySpan<ushort> bits = Elements(source, destination.Length);
        fixed (ushort* w = bits)
        fixed (float* y = destination)
        {
            DequantizeSimd(w, y, bits.Length, width);
        }
    }

    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> destination)
    {
        RowLength.Expect(destination.Length, source.Length * 2, TFloat.Name, nameof(destination));
        Span<ushort> bits = MemoryMarshal.Cast<byte, ushort>(destination);
        for (int i = 0; i < source.Length; i++)
        {
            bits[i] = TFloat.FromSingle(source[i]);
        }
    }

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            QuantizeReference(source, destination);
            return;
        }

        RowLength.Expect(destination.Length, source.Length * 2, TFloat.Name, nameof(destination));
        fixed (float* x = source)
        fixed (byte* w = destination)
        {
            QuantizeSimd(x, (ushort*)w, source.Length, width);
        }
    }

    public static float DotReference(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow)
    {
        ReadOnlySpan<float> x = Activations(activationRow);
        return DotReference(Elements(weightRow, x.Length), x);
    }

    public static float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            return DotReference(weightRow, activationRow);
        }

        ReadOnlySpan<float> activations = Activations(activationRow);
        ReadOnlySpan<ushort> weights = Elements(weightRow, activations.Length);
        fixed (ushort* w = weights)
        fixed (float* x = activations)
        {
            return DotSimd(w, x, weights.Length, width);
        }
    }

    private static ReadOnlySpan<ushort> Elements(ReadOnlySpan<byte> row, int expected)
    {
        int count = RowLength.Count(row.Length, 2, TFloat.Name, nameof(row));
        RowLength.Expect(count, expected, TFloat.Name, nameof(row));
        return MemoryMarshal.Cast<byte, ushort>(row);
    }

    private static ReadOnlySpan<float> Activations(ReadOnlySpan<byte> row)
    {
        RowLength.Count(row.Length, sizeof(float), TFloat.Name, "activationRow");
        return MemoryMarshal.Cast<byte, float>(row);
    }
    /// <summary>Scalar reference: float products summed in double, like ggml_vec_dot_f16's ggml_float sum.</summary>
    private static float DotReference(ReadOnlySpan<ushort> weights, ReadOnlySpan<float> activations)
    {
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            sum += TFloat.ToSingle(weights[i]) * activations[i];
        }

        return (float)sum;
    }

    /// <summary>The AVX2 row dot over raw pointers (the decode kernel's way out for rows holding an infinity or NaN).</summary>
    internal static float Dot(ushort* w, float* x, int count) => DotSimd(w, x, count, SimdWidth.Vector256);

    private static float DotSimd(ushort* w, float* x, int count, SimdWidth width)
    {
        int i = 0;
        float sum = 0;
        if (width == SimdWidth.Vector512)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i + 32 <= count; i += 32)
            {
                acc0 = Avx512F.FusedMultiplyAdd(Load512(w + i), Vector512.Load(x + i), acc0);
                acc1 = Avx512F.FusedMultiplyAdd(Load512(w + i + 16), Vector512.Load(x + i + 16), acc1);
            }

            for (; i + 16 <= count; i += 16)
            {
                acc0 = Avx512F.FusedMultiplyAdd(Load512(w + i), Vector512.Load(x + i), acc0);
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (width == SimdWidth.Vector256)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            if (TFloat.AreFinite(w, count))
            {
                for (; i + 16 <= count; i += 16)
                {
                    acc0 = Fma.MultiplyAdd(Load256Finite(w + i), Vector256.Load(x + i), acc0);
                    acc1 = Fma.MultiplyAdd(Load256Finite(w + i + 8), Vector256.Load(x + i + 8), acc1);
                }
            }
            else
            {
                for (; i + 16 <= count; i += 16)
                {
                    acc0 = Fma.MultiplyAdd(Load256(w + i), Vector256.Load(x + i), acc0);
                    acc1 = Fma.MultiplyAdd(Load256(w + i + 8), Vector256.Load(x + i + 8), acc1);
                }
            }

            for (; i + 8 <= count; i += 8)
            {
                acc0 = Fma.MultiplyAdd(Load256(w + i), Vector256.Load(x + i), acc0);
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else
        {
            Vector128<float> acc0 = Vector128<float>.Zero, acc1 = Vector128<float>.Zero;
            for (; i + 8 <= count; i += 8)
            {
                Vector128<ushort> bits = Vector128.Load(w + i);
                acc0 = Vector128.MultiplyAddEstimate(TFloat.ToSingle(Vector128.WidenLower(bits)), Vector128.Load(x + i), acc0);
                acc1 = Vector128.MultiplyAddEstimate(TFloat.ToSingle(Vector128.WidenUpper(bits)), Vector128.Load(x + i + 4), acc1);
            }

            sum = Vector128.Sum(acc0 + acc1);
        }

        for (; i < count; i++)
        {
            sum += TFloat.ToSingle(w[i]) * x[i];
        }

        return sum;
    }

    /// <summary><paramref name="count"/> values widened to floats at the widest level (exact), for <see cref="HalfWidthTile{TFloat}"/>.</summary>
    internal static void Widen(ushort* w, float* y, int count) => DequantizeSimd(w, y, count, SimdCapability.Best);

    /// <summary><paramref name="count"/> values widened to floats at <paramref name="width"/> (exact; Scalar runs the Vector128 loop), unchecked.</summary>
    internal static void DequantizeSimd(ushort* w, float* y, int count, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.Vector512)
        {
            for (; i + 16 <= count; i += 16)
            {
                Load512(w + i).Store(y + i);
            }
        }
        else if (width == SimdWidth.Vector256 && TFloat.AreFinite(w, count))
        {
            for (; i + 8 <= count; i += 8)
            {
                Load256Finite(w + i).Store(y + i);
            }
        }
        else if (width == SimdWidth.Vector256)
        {
            for (; i + 8 <= count; i += 8)
            {
                Load256(w + i).Store(y + i);
            }
        }
        else
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector128<ushort> bits = Vector128.Load(w + i);
                TFloat.ToSingle(Vector128.WidenLower(bits)).Store(y + i);
                TFloat.ToSingle(Vector128.WidenUpper(bits)).Store(y + i + 4);
            }
        }

        for (; i < count; i++)
        {
            y[i] = TFloat.ToSingle(w[i]);
        }
    }

    private static void QuantizeSimd(float* x, ushort* w, int count, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.Vector512)
        {
            for (; i + 16 <= count; i += 16)
            {
                Avx512F.ConvertToVector256UInt16(TFloat.FromSingle(Vector512.Load(x + i))).Store(w + i);
            }
        }
        else if (width == SimdWidth.Vector256)
        {
            for (; i + 16 <= count; i += 16)
            {
                Vector256.Narrow(TFloat.FromSingle(Vector256.Load(x + i)), TFloat.FromSingle(Vector256.Load(x + i + 8))).Store(w + i);
            }
        }
        else
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector128.Narrow(TFloat.FromSingle(Vector128.Load(x + i)), TFloat.FromSingle(Vector128.Load(x + i + 4))).Store(w + i);
            }
        }

        for (; i < count; i++)
        {
            w[i] = TFloat.FromSingle(x[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512(ushort* w) => TFloat.Widen(Vector256.Load(w));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256(ushort* w) => TFloat.ToSingle(Avx2.ConvertToVector256Int32(Vector128.Load(w)).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load256Finite(ushort* w) => TFloat.WidenFinite(Vector128.Load(w));
}
