// The AVX-512 loops of CausalAttention: scores of sixteen, four or one key rows, and the weighted sum of value rows, over
// F32 rows or F16 ones widened in registers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Kernels;

public sealed unsafe partial class CausalAttention
{
    /// <summary>
    /// s[j] = (q · k_j) · scale for m rows k_j starting j·stride elements after k, D elements each (D a multiple of 16),
    /// read as floats by <typeparamref name="TRows"/> (F32 in place, or F16 widened exactly in registers): each dot one
    /// accumulator over the 16-element chunks in order, then summed across lanes (<see cref="HorizontalSums.One"/>'s
    /// tree): sixteen rows at a time with their sums taken together, four at a time for a group of sixteen that holds an
    /// unusual half and for the rest, the same sums either way. F16 rows whose halves are all normal (nearly all of them)
    /// take the three-instruction widening against <paramref name="scaledQ"/> (q times 2^112; the same products); F16 rows
    /// are prefetched ahead, F32 ones come widened in L1.
    /// </summary>
    private static void Scores512<TRows>(float* q, float* scaledQ, byte* k, int stride, int m, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        int j = 0;
        for (; j + 16 <= m; j += 16)
        {
            byte* first = TRows.At(k, (long)j * stride);
            if (!TRows.Half)
            {
                Score16<TRows>(q, first, stride, d, scale, s + j);
                continue;
            }
            for (int r = 16; r < 32; r++) PrefetchRow(TRows.At(first, (long)r * stride), 2 * d); // the next sixteen F16 rows
            bool normal = true;
            for (int r = 0; r < 16 && normal; r++) normal = Fp16Bits.AreNormal((ushort*)TRows.At(first, (long)r * stride), d);
            if (normal)
            {
                Score16<NormalHalfElements>(scaledQ, first, stride, d, scale, s + j);
                continue;
            }
            for (int r = 0; r < 16; r += 4) Four<TRows>(q, scaledQ, TRows.At(first, (long)r * stride), stride, d, scale, s + j + r);
        }
        for (; j + 4 <= m; j += 4)
        {
            byte* k0 = TRows.At(k, (long)j * stride);
            if (TRows.Half)
                for (int r = RowsAhead; r < RowsAhead + 4; r++) PrefetchRow(TRows.At(k0, (long)r * stride), 2 * d);
            Four<TRows>(q, scaledQ, k0, stride, d, scale, s + j);
        }
        for (; j < m; j++)
        {
            byte* kj = TRows.At(k, (long)j * stride);
            if (TRows.Half && Fp16Bits.AreNormal((ushort*)kj, d)) s[j] = Score1<NormalHalfElements>(scaledQ, kj, d, scale);
            else s[j] = Score1<TRows>(q, kj, d, scale);
        }
    }

    /// <summary>Four rows from <paramref name="k0"/> through <see cref="Score4"/>, F16 ones widened short when all four allow it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four<TRows>(float* q, float* scaledQ, byte* k0, int stride, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        byte* k1 = TRows.At(k0, stride), k2 = TRows.At(k1, stride), k3 = TRows.At(k2, stride);
        if (TRows.Half && Fp16Bits.AreNormal((ushort*)k0, d) && Fp16Bits.AreNormal((ushort*)k1, d) && Fp16Bits.AreNormal((ushort*)k2, d)
            && Fp16Bits.AreNormal((ushort*)k3, d))
            Score4<NormalHalfElements>(scaledQ, k0, k1, k2, k3, d, scale, s);
        else
            Score4<TRows>(q, k0, k1, k2, k3, d, scale, s);
    }

    /// <summary>
    /// s[0..15] = (q · k_r) · scale for sixteen rows <paramref name="stride"/> elements apart, one accumulator each, summed
    /// across lanes together (<see cref="HorizontalSums.Sixteen"/>, the same bits as each row's HorizontalSums.One).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Score16<TRows>(float* q, byte* k, int stride, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        long step = TRows.At(k, stride) - k;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        byte* k4 = k + 4 * step, k8 = k + 8 * step, k12 = k + 12 * step;
        for (int c = 0; c < d; c += 16)
        {
            Vector512<float> qc = Vector512.Load(q + c);
            a0 = Avx512F.FusedMultiplyAdd(TRows.Load(k, c), qc, a0);
            a1 = Avx512F.FusedMultiplyAdd(TRows.Load(k + step, c), qc, a1);
            a2 = Avx512F.FusedMultiplyAdd(TRows.Load(k + 2 * step, c), qc, a2);
            a3 = Avx512F.FusedMultiplyAdd(TRows.Load(k + 3 * step, c), qc, a3);
            a4 = Avx512F.FusedMultiplyAdd(TRows.Load(k4, c), qc, a4);
            a5 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + step, c), qc, a5);
            a6 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + 2 * step, c), qc, a6);
            a7 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + 3 * step, c), qc, a7);
            a8 = Avx512F.FusedMultiplyAdd(TRows.Load(k8, c), qc, a8);
            a9 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + step, c), qc, a9);
            a10 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + 2 * step, c), qc, a10);
            a11 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + 3 * step, c), qc, a11);
            a12 = Avx512F.FusedMultiplyAdd(TRows.Load(k12, c), qc, a12);
            a13 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + step, c), qc, a13);
            a14 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + 2 * step, c), qc, a14);
            a15 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + 3 * step, c), qc, a15);
        }
        (HorizontalSums.Sixteen(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) * Vector512.Create(scale)).Store(s);
    }

    /// <summary>s[0..3] = (q · k_r) · scale for four rows, one accumulator each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Score4<TRows>(float* q, byte* k0, byte* k1, byte* k2, byte* k3, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < d; c += 16)
        {
            Vector512<float> qc = Vector512.Load(q + c);
            a0 = Avx512F.FusedMultiplyAdd(TRows.Load(k0, c), qc, a0);
            a1 = Avx512F.FusedMultiplyAdd(TRows.Load(k1, c), qc, a1);
            a2 = Avx512F.FusedMultiplyAdd(TRows.Load(k2, c), qc, a2);
            a3 = Avx512F.FusedMultiplyAdd(TRows.Load(k3, c), qc, a3);
        }
        s[0] = HorizontalSums.One(a0) * scale;
        s[1] = HorizontalSums.One(a1) * scale;
        s[2] = HorizontalSums.One(a2) * scale;
        s[3] = HorizontalSums.One(a3) * scale;
    }

    /// <summary>(q · k) · scale for one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Score1<TRows>(float* q, byte* k, int d, float scale) where TRows : struct, IRowElements
    {
        Vector512<float> a = Vector512<float>.Zero;
        for (int c = 0; c < d; c += 16) a = Avx512F.FusedMultiplyAdd(TRows.Load(k, c), Vector512.Load(q + c), a);
        return HorizontalSums.One(a) * scale;
    }

    /// <summary>
    /// o += Σ_j p[j] · v_j over m rows v_j starting j·stride elements after v, D elements each (D a multiple of 16), read
    /// as floats by <typeparamref name="TRows"/>: each output element a multiply and an add per row in row order (unfused,
    /// as TensorPrimitives.MultiplyAdd on the other path; it kept GPT-2 F32 closer to llama.cpp than FMA did), up to 64
    /// elements held in registers across the rows. An F16 row's 64 elements take the three-instruction widening against
    /// the probability times 2^112 (the same products) when they are all normal.
    /// </summary>
    private static void Weighted512<TRows>(float* p, byte* v, int stride, int m, int d, float* o) where TRows : struct, IRowElements
    {
        int c = 0;
        for (; c + 64 <= d; c += 64)
        {
            Vector512<float> a0 = Vector512.Load(o + c), a1 = Vector512.Load(o + c + 16), a2 = Vector512.Load(o + c + 32), a3 = Vector512.Load(o + c + 48);
            for (int j = 0; j < m; j++)
            {
                byte* vj = TRows.At(v, (long)j * stride + c);
                if (TRows.Half)
                {
                    PrefetchRow(TRows.At(vj, (long)RowsAhead * stride), 128);
                    if (Fp16Bits.AreNormal((ushort*)vj, 64))
                    {
                        Vector512<float> scaledP = Vector512.Create(p[j] * Fp16Bits.NormalScale);
                        a0 = a0 + NormalHalfElements.Load(vj, 0) * scaledP;
                        a1 = a1 + NormalHalfElements.Load(vj, 16) * scaledP;
                        a2 = a2 + NormalHalfElements.Load(vj, 32) * scaledP;
                        a3 = a3 + NormalHalfElements.Load(vj, 48) * scaledP;
                        continue;
                    }
                }
                Vector512<float> pj = Vector512.Create(p[j]);
                a0 = a0 + TRows.Load(vj, 0) * pj;
                a1 = a1 + TRows.Load(vj, 16) * pj;
                a2 = a2 + TRows.Load(vj, 32) * pj;
                a3 = a3 + TRows.Load(vj, 48) * pj;
            }
            a0.Store(o + c);
            a1.Store(o + c + 16);
            a2.Store(o + c + 32);
            a3.Store(o + c + 48);
        }
        for (; c < d; c += 16)
        {
            Vector512<float> a = Vector512.Load(o + c);
            for (int j = 0; j < m; j++) a = a + TRows.Load(TRows.At(v, (long)j * stride + c), 0) * Vector512.Create(p[j]);
            a.Store(o + c);
        }
    }

    /// <summary>
    /// Rows ahead of the one being read that the loops prefetch. A head's rows are Hkv·D elements apart in the cache, a
    /// stride the hardware prefetcher follows poorly, and with sixteen sequences the cache is past L2: without it the
    /// weighted sum waited about 70 cycles a row.
    /// </summary>
    private const int RowsAhead = 8;

    /// <summary>Prefetches the lines of [row, row + bytes) into L1 (prefetches never fault, so rows past the end are harmless).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow(byte* row, long bytes)
    {
        for (long l = 0; l < bytes; l += 64) Sse.Prefetch0(row + l);
    }

    /// <summary>How the AVX-512 loops walk key or value rows and read 16 of their elements as floats.</summary>
    private interface IRowElements
    {
        /// <summary>F16 rows, which may take <see cref="NormalHalfElements"/>' widening where every half is normal.</summary>
        static abstract bool Half { get; }

        /// <summary>The address <paramref name="elements"/> elements after <paramref name="at"/>.</summary>
        static abstract byte* At(byte* at, long elements);

        /// <summary>Elements [c, c + 16) after <paramref name="row"/>, as floats.</summary>
        static abstract Vector512<float> Load(byte* row, int c);
    }

    /// <summary>F32 rows, read in place.</summary>
    private readonly struct SingleElements : IRowElements
    {
        public static bool Half => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((float*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Vector512.Load((float*)row + c);
    }

    /// <summary>F16 rows, each chunk widened exactly where it is read (no row buffer), whatever its halves.</summary>
    private readonly struct HalfElements : IRowElements
    {
        public static bool Half => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((ushort*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Fp16Bits.Widen(Vector256.Load((ushort*)row + c));
    }

    /// <summary>
    /// F16 rows whose halves are all normal (<see cref="Fp16Bits.AreNormal"/>), widened in three instructions, not ten, to
    /// floats 2^112 times too small (<see cref="Fp16Bits.WidenNormalScaledDown"/>): the loops multiply them by queries or
    /// probabilities scaled up by 2^112, which gives the same products, bit for bit, as the exact floats by the unscaled ones.
    /// </summary>
    private readonly struct NormalHalfElements : IRowElements
    {
        public static bool Half => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((ushort*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Fp16Bits.WidenNormalScaledDown(Vector256.Load((ushort*)row + c));
    }
}
