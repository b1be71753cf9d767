// bfloat16 <-> float exactly as ggml_compute_bf16_to_fp32 / _fp32_to_bf16 (round to nearest even, NaN kept quiet with its upper payload), scalar and vector.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Quantization;

/// <summary>Bit-level bf16 conversions. Each vector lane holds one bf16 in the low 16 bits of a <see cref="uint"/>.</summary>
internal static class Bf16Bits
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bf16) => BitConverter.UInt32BitsToSingle((uint)bf16 << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        {
            return (ushort)((u >> 16) | 64); // NaN: force the quiet bit so truncation cannot make it infinity
        }

        return (ushort)((u + (0x7FFFu + ((u >> 16) & 1))) >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> bf16) => (bf16 << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> bf16) => (bf16 << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> bf16) => (bf16 << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> FromSingle(Vector128<float> value)
    {
        Vector128<uint> u = value.AsUInt32();
        Vector128<uint> isNaN = Vector128.GreaterThan(u & Vector128.Create(0x7FFFFFFFu), Vector128.Create(0x7F800000u));
        Vector128<uint> rounded = (u + Vector128.Create(0x7FFFu) + ((u >>> 16) & Vector128<uint>.One)) >>> 16;
        return Vector128.ConditionalSelect(isNaN, (u >>> 16) | Vector128.Create(64u), rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> FromSingle(Vector256<float> value)
    {
        Vector256<uint> u = value.AsUInt32();
        Vector256<uint> isNaN = Vector256.GreaterThan(u & Vector256.Create(0x7FFFFFFFu), Vector256.Create(0x7F800000u));
        Vector256<uint> rounded = (u + Vector256.Create(0x7FFFu) + ((u >>> 16) & Vector256<uint>.One)) >>> 16;
        return Vector256.ConditionalSelect(isNaN, (u >>> 16) | Vector256.Create(64u), rounded);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> FromSingle(Vector512<float> value)
    {
        Vector512<uint> u = value.AsUInt32();
        Vector512<uint> isNaN = Vector512.GreaterThan(u & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
        Vector512<uint> rounded = (u + Vector512.Create(0x7FFFu) + ((u >>> 16) & Vector512<uint>.One)) >>> 16;
        return Vector512.ConditionalSelect(isNaN, (u >>> 16) | Vector512.Create(64u), rounded);
    }
}
