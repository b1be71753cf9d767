// IEEE half <-> float exactly as ggml's portable fp16 conversions (round to nearest even, overflow to infinity, NaN to signed 0x7E00), scalar and vector.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Quantization;

/// <summary>Bit-level fp16 conversions. Each vector lane holds one half in the low 16 bits of a <see cref="uint"/>.</summary>
internal static class Fp16Bits
{
    private const float ExpScale = 1.92592994e-34f;         // 0x1.0p-112f: rebias a half exponent into float range
    private const float ScaleToInf = 5.19229686e+33f;       // 0x1.0p+112f
    private const float ScaleToZero = 7.70371978e-34f;      // 0x1.0p-110f
    private const uint ExpOffset = 0xE0u << 23;
    private const uint MagicMask = 126u << 23;
    private const float MagicBias = 0.5f;
    private const uint DenormalizedCutoff = 1u << 27;

    /// <summary>The float a half's bits stand for (exact, like <see cref="Half"/>'s conversion).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort half)
    {
        uint w = (uint)half << 16;
        uint sign = w & 0x80000000u;
        uint twoW = w + w;
        float normalized = BitConverter.UInt32BitsToSingle((twoW >> 4) + ExpOffset) * ExpScale;
        float denormalized = BitConverter.UInt32BitsToSingle((twoW >> 17) | MagicMask) - MagicBias;
        uint magnitude = twoW < DenormalizedCutoff
            ? BitConverter.SingleToUInt32Bits(denormalized)
            : BitConverter.SingleToUInt32Bits(normalized);
        return BitConverter.UInt32BitsToSingle(sign | magnitude);
    }

    /// <summary>The half nearest a float (ties to even), as GGML_FP32_TO_FP16 stores it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        float scaled = MathF.Abs(value) * ScaleToInf * ScaleToZero;
        uint w = BitConverter.SingleToUInt32Bits(value);
        uint shl1W = w + w;
        uint sign = w & 0x80000000u;
        uint bias = Math.Max(shl1W & 0xFF000000u, 0x71000000u);
        scaled = BitConverter.UInt32BitsToSingle((bias >> 1) + 0x07800000u) + scaled;
        uint bits = BitConverter.SingleToUInt32Bits(scaled);
        uint nonSign = ((bits >> 13) & 0x00007C00u) + (bits & 0x00000FFFu);
        return (ushort)((sign >> 16) | (shl1W > 0xFF000000u ? 0x7E00u : nonSign));
    }

    /// <summary>Reads the half stored little-endian at <paramref name="p"/> as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Load(byte* p) => ToSingle(Unsafe.ReadUnaligned<ushort>(p));

    /// <summary>Reads the half stored little-endian at <paramref name="offset"/> as a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ReadOnlySpan<byte> bytes, int offset) =>
        ToSingle(Unsafe.ReadUnaligned<ushort>(ref Unsafe.AsRef(in bytes[offset])));

    /// <summary>Writes a float as the nearest half, little-endian, at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Span<byte> bytes, int offset, float value) =>
        Unsafe.WriteUnaligned(ref bytes[offset], FromSingle(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> half)
    {
        Vector128<uint> w = half << 16;
        Vector128<uint> sign = w & Vector128.Create(0x80000000u);
        Vector128<uint> twoW = w + w;
        Vector128<float> normalized = ((twoW >>> 4) + Vector128.Create(ExpOffset)).AsSingle() * Vector128.Create(ExpScale);
        Vector128<float> denormalized = ((twoW >>> 17) | Vector128.Create(MagicMask)).AsSingle() - Vector128.Create(MagicBias);
        Vector128<uint> isDenormal = Vector128.LessThan(twoW, Vector128.Create(DenormalizedCutoff));
        return (sign | Vector128.ConditionalSelect(isDenormal, denormalized.AsUInt32(), normalized.AsUInt32())).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> half)
    {
        Vector256<uint> w = half << 16;
        Vector256<uint> sign = w & Vector256.Create(0x80000000u);
        Vector256<uint> twoW = w + w;
        Vector256<float> normalized = ((twoW >>> 4) + Vector256.Create(ExpOffset)).AsSingle() * Vector256.Create(ExpScale);
        Vector256<float> denormalized = ((twoW >>> 17) | Vector256.Create(MagicMask)).AsSingle() - Vector256.Create(MagicBias);
        Vector256<uint> isDenormal = Vector256.LessThan(twoW, Vector256.Create(DenormalizedCutoff));
        return (sign | Vector256.ConditionalSelect(isDenormal, denormalized.AsUInt32(), normalized.AsUInt32())).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> half)
    {
        Vector512<uint> w = half << 16;
        Vector512<uint> sign = w & Vector512.Create(0x80000000u);
        Vector512<uint> twoW = w + w;
        Vector512<float> normalized = ((twoW >>> 4) + Vector512.Create(ExpOffset)).AsSingle() * Vector512.Create(ExpScale);
        Vector512<float> denormalized = ((twoW >>> 17) | Vector512.Create(MagicMask)).AsSingle() - Vector512.Create(MagicBias);
        Vector512<uint> isDenormal = Vector512.LessThan(twoW, Vector512.Create(DenormalizedCutoff));
        return (sign | Vector512.ConditionalSelect(isDenormal, denormalized.AsUInt32(), normalized.AsUInt32())).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<uint> FromSingle(Vector128<float> value)
    {
        Vector128<float> scaled = Vector128.Abs(value) * Vector128.Create(ScaleToInf) * Vector128.Create(ScaleToZero);
        Vector128<uint> w = value.AsUInt32();
        Vector128<uint> shl1W = w + w;
        Vector128<uint> sign = w & Vector128.Create(0x80000000u);
        Vector128<uint> bias = Vector128.Max(shl1W & Vector128.Create(0xFF000000u), Vector128.Create(0x71000000u));
        scaled = ((bias >>> 1) + Vector128.Create(0x07800000u)).AsSingle() + scaled;
        Vector128<uint> bits = scaled.AsUInt32();
        Vector128<uint> nonSign = ((bits >>> 13) & Vector128.Create(0x00007C00u)) + (bits & Vector128.Create(0x00000FFFu));
        Vector128<uint> isNaN = Vector128.GreaterThan(shl1W, Vector128.Create(0xFF000000u));
        return (sign >>> 16) | Vector128.ConditionalSelect(isNaN, Vector128.Create(0x7E00u), nonSign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> FromSingle(Vector256<float> value)
    {
        Vector256<float> scaled = Vector256.Abs(value) * Vector256.Create(ScaleToInf) * Vector256.Create(ScaleToZero);
        Vector256<uint> w = value.AsUInt32();
        Vector256<uint> shl1W = w + w;
        Vector256<uint> sign = w & Vector256.Create(0x80000000u);
        Vector256<uint> bias = Vector256.Max(shl1W & Vector256.Create(0xFF000000u), Vector256.Create(0x71000000u));
        scaled = ((bias >>> 1) + Vector256.Create(0x07800000u)).AsSingle() + scaled;
        Vector256<uint> bits = scaled.AsUInt32();
        Vector256<uint> nonSign = ((bits >>> 13) & Vector256.Create(0x00007C00u)) + (bits & Vector256.Create(0x00000FFFu));
        Vector256<uint> isNaN = Vector256.GreaterThan(shl1W, Vector256.Create(0xFF000000u));
        return (sign >>> 16) | Vector256.ConditionalSelect(isNaN, Vector256.Create(0x7E00u), nonSign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> FromSingle(Vector512<float> value)
    {
        Vector512<float> scaled = Vector512.Abs(value) * Vector512.Create(ScaleToInf) * Vector512.Create(ScaleToZero);
        Vector512<uint> w = value.AsUInt32();
        Vector512<uint> shl1W = w + w;
        Vector512<uint> sign = w & Vector512.Create(0x80000000u);
        Vector512<uint> bias = Vector512.Max(shl1W & Vector512.Create(0xFF000000u), Vector512.Create(0x71000000u));
        scaled = ((bias >>> 1) + Vector512.Create(0x07800000u)).AsSingle() + scaled;
        Vector512<uint> bits = scaled.AsUInt32();
        Vector512<uint> nonSign = ((bits >>> 13) & Vector512.Create(0x00007C00u)) + (bits & Vector512.Create(0x00000FFFu));
        Vector512<uint> isNaN = Vector512.GreaterThan(shl1W, Vector512.Create(0xFF000000u));
        return (sign >>> 16) | Vector512.ConditionalSelect(isNaN, Vector512.Create(0x7E00u), nonSign);
    }
}
