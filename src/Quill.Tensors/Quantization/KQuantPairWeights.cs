// How Q4_K, Q5_K and Q6_K blocks are laid into the pair tile's prepared row groups (KQuantPairTileAvx512), and their scalar view.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>A K-quant's unsigned quant of one weight, for the pair tile's scalar reference.</summary>
internal unsafe interface IKQuantElements
{
    /// <summary>The unsigned quant of weight n (0..255) of the block at x, as the AVX-512 unpack forms it.</summary>
    static abstract int Quant(byte* x, int n);
}

/// <summary>
/// The formats with 6-bit scales and mins (Q4_K, Q5_K): chunk m is sub-block m, its scale broadcast to 16 shorts;
/// d, dmin (four copies per row, for the min lanes) and the eight mins as shorts.
/// </summary>
internal readonly unsafe struct ScaleMinPairWeights<TQuants> : IKQuantPairWeights
    where TQuants : struct, IScaleMinTileQuants<TQuants>, IKQuantElements
{
    public static bool HasMins => true;

    public static byte OffsetShift => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prepare(byte* x, int k, byte* g)
    {
        TQuants.Create().Unpack(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        byte* dst = g + 32 * k;
        PairWeightQuants.Store(dst, q0, q1, q2, q3);
        Vector256<short> sm16 = Avx2.ConvertToVector256Int16(KQuant.UnpackScaleMin(x + TQuants.ScalesOffset));
        for (int m = 0; m < 8; m++)
            Vector256.Create(sm16.GetElement(m)).Store((short*)(dst + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.ScalesAt + 128 * m));
        ((float*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.DAt))[k] = Fp16Bits.Load(x);
        Vector128.Create(Fp16Bits.Load(x + 2)).Store((float*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.DminAt) + 4 * k);
        sm16.GetUpper().Store((short*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.MinsAt) + 8 * k);
    }

    public static void Decode(byte* x, int* q, int* scale, int* mins, out float d, out float dmin)
    {
        Vector128<byte> sm = KQuant.UnpackScaleMin(x + TQuants.ScalesOffset);
        for (int n = 0; n < 256; n++)
        {
            q[n] = TQuants.Quant(x, n);
            scale[n] = sm[n / 32];
        }
        for (int s = 0; s < 8; s++) mins[s] = sm[8 + s];
        d = Fp16Bits.Load(x);
        dmin = Fp16Bits.Load(x + 2);
    }
}

/// <summary>
/// The formats with signed scales per 16 weights and an offset removed through the bsums (Q6_K): chunk m holds the
/// groups 2m | 2m+1, its scale vector their two scales eight times each; d, and the sixteen scales as shorts.
/// </summary>
internal readonly unsafe struct OffsetPairWeights<TQuants> : IKQuantPairWeights
    where TQuants : struct, IOffsetTileQuants<TQuants>, IKQuantElements
{
    public static bool HasMins => false;

    public static byte OffsetShift => TQuants.OffsetShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prepare(byte* x, int k, byte* g)
    {
        TQuants.Create().Unpack(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        byte* dst = g + 32 * k;
        PairWeightQuants.Store(dst, q0, q1, q2, q3);
        Vector256<short> sc16 = TQuants.Scales(x);
        for (int m = 0; m < 8; m++)
            Vector256.Create(Vector128.Create(sc16.GetElement(2 * m)), Vector128.Create(sc16.GetElement(2 * m + 1)))
                .Store((short*)(dst + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.ScalesAt + 128 * m));
        ((float*)(g + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.DAt))[k] = Fp16Bits.Load(x + TQuants.DeltaOffset);
        sc16.Store((short*)(g + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.Sc16At) + 16 * k);
    }

    public static void Decode(byte* x, int* q, int* scale, int* mins, out float d, out float dmin)
    {
        Vector256<short> sc16 = TQuants.Scales(x);
        for (int n = 0; n < 256; n++)
        {
            q[n] = TQuants.Quant(x, n);
            scale[n] = sc16.GetElement(n / 16);
        }
        for (int s = 0; s < 16; s++) mins[s] = sc16.GetElement(s);
        d = Fp16Bits.Load(x + TQuants.DeltaOffset);
        dmin = 0;
    }
}

/// <summary>Where a row's unpacked quants go in the pair tile's scratch, shared by both weight kinds.</summary>
internal static unsafe class PairWeightQuants
{
    /// <summary>Chunk c (32 quants) of row k at 128·c + 32·k: the eight 32-byte halves of the four unpacked vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* dst, Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3)
    {
        q0.GetLower().Store(dst);
        q0.GetUpper().Store(dst + 128);
        q1.GetLower().Store(dst + 256);
        q1.GetUpper().Store(dst + 384);
        q2.GetLower().Store(dst + 512);
        q2.GetUpper().Store(dst + 640);
        q3.GetLower().Store(dst + 768);
        q3.GetUpper().Store(dst + 896);
    }
}
