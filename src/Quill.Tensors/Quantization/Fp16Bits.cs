// IEEE half <-> float exactly as ggml's portable fp16 conversions (round to nearest even, overflow to infinity, NaN to signed 0x7E00), scalar and vector.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>Bit-level fp16 conversions. Each vector lane holds one half in the low 16 bits of a <see cref="uint"/>.</summary>
internal static class Fp16Bits
{
    private const float ScaleToInf = 5.19229686e+33f;       // 0x1.0p+112f
    private const float ScaleToZero = 7.70371978e-34f;      // 0x1.0p-110f
    private const uint SignExponentMantissa = 0x8FFFE000u; // a half's fields after << 16 and an arithmetic >> 3
    private const uint ExponentField = 0x0F800000u;   // a half's exponent in SignExponentMantissa's layout
    private const uint ExponentWidening = 0x70000000u; // ORed on: exponent 31 becomes 255
    private const uint LowestExponent = 0x00800000u;   // exponent field 1: a subnormal half's bits as a normal float
    private const uint TwoToMinus14 = 0x38800000u;     // 2^-14, what LowestExponent adds after the multiply
    private const uint SignBit = 0x80000000u;

    /// <summary>
    /// The float a half's bits stand for (exact, like <see cref="Half"/>'s conversion; NaN quieted as ggml's is). Sign to
    /// bit 31, exponent and mantissa to bits 27..13: as a float that is 2^-112 times the half's value, so one exact
    /// multiply by 2^112 finishes a normal half. Exponent 31 (infinity, NaN) is widened to 255 first, so the same
    /// multiply keeps infinity and quiets NaN. A subnormal half (exponent 0) would be a subnormal float there, and a
    /// multiply with a subnormal operand takes a microcode assist on x86 (measured: K-quant decode 1.4× slower on files
    /// whose block scales are all subnormal halves, which small weights make common). So exponent 0 gets exponent
    /// field 1 instead, a normal float worth 2^-14 + the half's value after the multiply, and 2^-14 is subtracted
    /// exactly (Sterbenz); the sign is put back on last, so -0 stays -0. The vector overloads do the same per lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort half)
    {
        uint bits = (uint)((int)((uint)half << 16) >> 3) & SignExponentMantissa;
        uint exponent = bits & ExponentField;
        if (exponent == ExponentField) bits |= ExponentWidening;
        if (exponent != 0) return BitConverter.UInt32BitsToSingle(bits) * ScaleToInf;
        float shifted = BitConverter.UInt32BitsToSingle(bits | LowestExponent) * ScaleToInf - BitConverter.UInt32BitsToSingle((bits & SignBit) | TwoToMinus14);
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(shifted) | (bits & SignBit));
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

    /// <summary>
    /// Two halves (<paramref name="halves"/>' low 16 bits first) as floats in lanes 0 and 1, lanes 2 and 3 zero: bit for bit
    /// <see cref="ToSingle(ushort)"/>'s. Two normal halves, the common case of a K-quant block's d and dmin, take five vector
    /// instructions (sign, exponent and mantissa moved into a float's fields, then the exact multiply by 2^112); a zero,
    /// subnormal, infinite or NaN half sends both through <see cref="ToSingle(ushort)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSinglePair(uint halves)
    {
        // Exponent fields 1..30, as bits 10..14 of each half, are normal.
        uint exponents = halves & 0x7C007C00u;
        if ((exponents & 0xFFFFu) - 0x0400u >= 0x7800u || (exponents >> 16) - 0x0400u >= 0x7800u)
            return Vector128.Create(ToSingle((ushort)halves), ToSingle((ushort)(halves >> 16)), 0f, 0f);
        Vector128<int> widened = Vector128.WidenLower(Vector128.CreateScalar(halves).AsInt16());
        return Vector128.BitwiseAnd(Vector128.ShiftLeft(widened, 13).AsUInt32(), Vector128.Create(SignExponentMantissa)).AsSingle()
            * Vector128.Create(ScaleToInf);
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
        // As the scalar ToSingle, lane by lane.
        Vector128<uint> bits = Vector128.ShiftRightArithmetic((half << 16).AsInt32(), 3).AsUInt32() & Vector128.Create(SignExponentMantissa);
        Vector128<uint> exponent = bits & Vector128.Create(ExponentField);
        Vector128<uint> subnormal = Vector128.Equals(exponent, Vector128<uint>.Zero);
        Vector128<uint> widened = bits | Vector128.ConditionalSelect(Vector128.Equals(exponent, Vector128.Create(ExponentField)),
            Vector128.Create(ExponentWidening), subnormal & Vector128.Create(LowestExponent));
        Vector128<float> offset = (subnormal & ((bits & Vector128.Create(SignBit)) | Vector128.Create(TwoToMinus14))).AsSingle();
        Vector128<float> value = Vector128.FusedMultiplyAdd(widened.AsSingle(), Vector128.Create(ScaleToInf), -offset);
        return (value.AsUInt32() | (bits & Vector128.Create(SignBit))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> half)
    {
        // As the scalar ToSingle, lane by lane.
        Vector256<uint> bits = Vector256.ShiftRightArithmetic((half << 16).AsInt32(), 3).AsUInt32() & Vector256.Create(SignExponentMantissa);
        Vector256<uint> exponent = bits & Vector256.Create(ExponentField);
        Vector256<uint> subnormal = Vector256.Equals(exponent, Vector256<uint>.Zero);
        Vector256<uint> widened = bits | Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256.Create(ExponentField)),
            Vector256.Create(ExponentWidening), subnormal & Vector256.Create(LowestExponent));
        Vector256<float> offset = (subnormal & ((bits & Vector256.Create(SignBit)) | Vector256.Create(TwoToMinus14))).AsSingle();
        Vector256<float> value = Vector256.FusedMultiplyAdd(widened.AsSingle(), Vector256.Create(ScaleToInf), -offset);
        return (value.AsUInt32() | (bits & Vector256.Create(SignBit))).AsSingle();
    }

    /// <summary>
    /// Eight finite halves (exponent field below 31, as <see cref="AreFinite(ushort*, int)"/> checks) widened exactly with AVX2 in four
    /// instructions (the lane-by-lane <see cref="ToSingle(Vector256{uint})"/> takes about fourteen): sign, exponent and
    /// mantissa moved into a float's fields and multiplied by 2^112, which rebiases normals and makes subnormals normal
    /// without rounding. An infinity or NaN would come out finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenFinite(Vector128<ushort> halves) => Avx.Multiply(WidenScaledDown(halves), Vector256.Create(ScaleToInf));

    /// <summary>
    /// <see cref="WidenFinite"/> without its multiply, in three instructions: eight finite halves times 2^-112, exact (an
    /// F16 subnormal becomes an F32 subnormal). A product with an activation pre-scaled by <see cref="ScaleUp"/> is the
    /// product of the unscaled values, so an FMA over the two rounds exactly as it would over those.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenScaledDown(Vector128<ushort> halves) =>
        Avx2.And(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(halves.AsInt16()), 13).AsUInt32(), Vector256.Create(SignExponentMantissa)).AsSingle();

    /// <summary>
    /// Sixteen finite halves times 2^-112 with AVX-512, as <see cref="WidenScaledDown(Vector128{ushort})"/> does eight:
    /// sign-extended on load, shifted into a float's fields, masked (three instructions, against <see cref="Widen"/>'s
    /// eleven).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenScaledDown(Vector256<ushort> halves) =>
        Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(halves.AsInt16()), 13).AsUInt32(),
            Vector512.Create(SignExponentMantissa)).AsSingle();

    /// <summary>2^112, the factor <see cref="WidenScaledDown(Vector128{ushort})"/> leaves out; exact on any float below 2^16 in magnitude.</summary>
    public const float ScaleUp = ScaleToInf;

    /// <summary>Whether none of the <paramref name="count"/> halves is an infinity or NaN: (bits &lt;&lt; 1) mod 2^16 below 0xF800.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe bool AreFinite(ushort* halves, int count)
    {
        Vector256<ushort> worst = Vector256<ushort>.Zero;
        int i = 0;
        for (; i + 16 <= count; i += 16)
            worst = Vector256.Max(worst, Vector256.Load(halves + i) << 1);
        bool finite = AreFinite(worst);
        for (; i < count; i++) finite &= (ushort)(halves[i] << 1) < 0xF800;
        return finite;
    }

    /// <summary>Whether halves whose (bits &lt;&lt; 1) mod 2^16 are at most <paramref name="worst"/>'s lanes are all finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AreFinite(Vector256<ushort> worst) => Vector256.LessThanAll(worst, Vector256.Create((ushort)0xF800));

    /// <summary>The 512-bit <see cref="AreFinite(Vector256{ushort})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AreFinite(Vector512<ushort> worst) => Vector512.LessThanAll(worst, Vector512.Create((ushort)0xF800));

    /// <summary>As the scalar ToSingle, lane by lane; on AVX-512 through <see cref="Widened"/>'s table lookups.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> half)
    {
        if (!Avx512F.IsSupported) return PortableToSingle(half);
        Vector512<uint> bits = Avx512F.And(Avx512F.ShiftRightArithmetic(Avx512F.ShiftLeftLogical(half, 16).AsInt32(), 3).AsUInt32(),
            Vector512.Create(SignExponentMantissa));
        return Widened(bits, Avx512F.ShiftRightLogical(half, 10));
    }

    /// <summary>Sixteen halves as floats, as <see cref="ToSingle(Vector512{uint})"/>: sign-extended on load, which saves a shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Widen(Vector256<ushort> halves)
    {
        if (!Avx512F.IsSupported) return PortableToSingle(Vector512.WidenLower(halves.ToVector512Unsafe()));
        // Sign-extended, a half's sign is copied into bits 15..31, so after << 13 bit 31 holds it and the mask clears 28..30.
        Vector512<uint> extended = Avx512F.ConvertToVector512Int32(halves.AsInt16()).AsUInt32();
        return Widened(Avx512F.And(Avx512F.ShiftLeftLogical(extended, 13), Vector512.Create(SignExponentMantissa)),
            Avx512F.ShiftRightLogical(extended, 10));
    }

    /// <summary>
    /// Sixteen halves as floats in four instructions, exact when every half is normal or zero (<see cref="AreNormal"/>):
    /// sign-extended, shifted into <see cref="SignExponentMantissa"/>'s layout and multiplied by 2^112. A subnormal half
    /// would come out right but through a microcode assist, infinity and NaN would not: callers check first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenNormal(Vector256<ushort> halves)
    {
        Vector512<uint> extended = Avx512F.ConvertToVector512Int32(halves.AsInt16()).AsUInt32();
        return Avx512F.Multiply(Avx512F.And(Avx512F.ShiftLeftLogical(extended, 13), Vector512.Create(SignExponentMantissa)).AsSingle(),
            Vector512.Create(ScaleToInf));
    }

    /// <summary>2^112: <see cref="WidenNormalScaledDown"/>'s floats times this are the halves' values.</summary>
    public const float NormalScale = ScaleToInf;

    /// <summary>
    /// Sixteen normal halves (<see cref="AreNormal"/>) as floats 2^112 times too small, in three instructions (no multiply):
    /// each is a normal float, so a product with a factor 2^112 times too large is the same real number, and rounds the
    /// same, as the product of the exact widening with the factor.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenNormalScaledDown(Vector256<ushort> halves)
    {
        Vector512<uint> extended = Avx512F.ConvertToVector512Int32(halves.AsInt16()).AsUInt32();
        return Avx512F.And(Avx512F.ShiftLeftLogical(extended, 13), Vector512.Create(SignExponentMantissa)).AsSingle();
    }

    /// <summary>
    /// Whether each of the <paramref name="count"/> halves (a multiple of 16) has an exponent field of 1 to 30, so that
    /// <see cref="WidenNormal"/> may widen them; zero counts as not normal, which keeps the test to three instructions
    /// per 32 halves: (2·bits − 2^11) mod 2^16 is below 0xF000 exactly for the normal ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe bool AreNormal(ushort* halves, int count)
    {
        Vector512<ushort> worst = Vector512<ushort>.Zero;
        int i = 0;
        for (; i + 32 <= count; i += 32)
            worst = Vector512.Max(worst, (Vector512.Load(halves + i) << 1) - Vector512.Create((ushort)0x800));
        Vector256<ushort> tail = Vector256<ushort>.Zero;
        for (; i < count; i += 16)
            tail = Vector256.Max(tail, (Vector256.Load(halves + i) << 1) - Vector256.Create((ushort)0x800));
        return Vector512.LessThanAll(Vector512.Max(worst, tail.ToVector512()), Vector512.Create((ushort)0xF000));
    }

    /// <summary>Scalar <see cref="AreNormal"/>: every exponent field between 1 and 30.</summary>
    public static bool AreNormalReference(ReadOnlySpan<ushort> halves)
    {
        foreach (ushort h in halves)
        {
            int exponent = (h >> 10) & 0x1F;
            if (exponent is 0 or 31) return false;
        }
        return true;
    }

    /// <summary>
    /// The AVX-512 finish of ToSingle from the half's fields in SignExponentMantissa's layout and an index whose low five
    /// bits are its exponent: what each exponent needs is looked up rather than compared for, from two 32-entry tables
    /// (vpermt2d), one with the bits ORed on before the multiply (exponent field 1 for exponent 0, the widening for 31),
    /// one with the 2^-14 subtracted after it (exponent 0). Ten instructions a vector with the widening load, against
    /// fourteen with compares and blends; the weight streams of F16 models run through it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widened(Vector512<uint> bits, Vector512<uint> exponentIndex)
    {
        Vector512<uint> widening = Avx512F.PermuteVar16x32x2(
            Vector512.Create(LowestExponent, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u), exponentIndex,
            Vector512.Create(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, ExponentWidening));
        Vector512<uint> offset = Avx512F.PermuteVar16x32x2(
            Vector512.Create(TwoToMinus14, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u), exponentIndex, Vector512<uint>.Zero);
        // Normal lanes subtract a signed zero (exact); exponent-0 lanes their signed 2^-14. 0xEA: (a & b) | c.
        Vector512<float> value = Avx512F.FusedMultiplySubtract(Avx512F.Or(bits, widening).AsSingle(), Vector512.Create(ScaleToInf),
            Avx512F.TernaryLogic(bits, Vector512.Create(SignBit), offset, 0xEA).AsSingle());
        return Avx512F.TernaryLogic(bits, Vector512.Create(SignBit), value.AsUInt32(), 0xEA).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PortableToSingle(Vector512<uint> half)
    {
        // As the scalar ToSingle, lane by lane.
        Vector512<uint> bits = Vector512.ShiftRightArithmetic((half << 16).AsInt32(), 3).AsUInt32() & Vector512.Create(SignExponentMantissa);
        Vector512<uint> exponent = bits & Vector512.Create(ExponentField);
        Vector512<uint> subnormal = Vector512.Equals(exponent, Vector512<uint>.Zero);
        Vector512<uint> widened = bits | Vector512.ConditionalSelect(Vector512.Equals(exponent, Vector512.Create(ExponentField)),
            Vector512.Create(ExponentWidening), subnormal & Vector512.Create(LowestExponent));
        Vector512<float> offset = (subnormal & ((bits & Vector512.Create(SignBit)) | Vector512.Create(TwoToMinus14))).AsSingle();
        Vector512<float> value = Vector512.FusedMultiplyAdd(widened.AsSingle(), Vector512.Create(ScaleToInf), -offset);
        return (value.AsUInt32() | (bits & Vector512.Create(SignBit))).AsSingle();
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
