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

    /// <summary>
    /// s[j] = (q · k_j) · scale over an F32 cache in ggml_vec_dot_f32's order, which llama.cpp's q·k takes over an F32 cache
    /// for a prompt (its q is a permuted view, so tinyBLAS does not take it) and for a single token alike: four accumulators
    /// over whole 64-element steps, added (a0 + a2) + (a1 + a3), the halving sum, then the last D mod 64 elements one
    /// multiply and one add at a time, unfused (with a fused tail the F32 files stayed 2–4e-7 off llama.cpp's logits).
    /// </summary>
    private static void VecDotScores(float* q, float* k, int stride, int m, int d, float scale, float* s)
    {
        int whole = d & ~63;
        for (int j = 0; j < m; j++)
        {
            float* kj = k + (long)j * stride;
            float sum = 0;
            if (whole > 0)
            {
                Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0; c < whole; c += 64)
                {
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Load(kj + c), Vector512.Load(q + c), a0);
                    a1 = Avx512F.FusedMultiplyAdd(Vector512.Load(kj + c + 16), Vector512.Load(q + c + 16), a1);
                    a2 = Avx512F.FusedMultiplyAdd(Vector512.Load(kj + c + 32), Vector512.Load(q + c + 32), a2);
                    a3 = Avx512F.FusedMultiplyAdd(Vector512.Load(kj + c + 48), Vector512.Load(q + c + 48), a3);
                }
                sum = HorizontalSums.One((a0 + a2) + (a1 + a3));
            }
            for (int c = whole; c < d; c++) sum += kj[c] * q[c];
            s[j] = sum * scale;
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
    /// The weighted sum of value rows in tinyBLAS's order for llama.cpp's kqv matmul: each output element has sixteen
    /// partial sums, one per cell mod 16, each a chain of fused multiply-adds in row order; <see cref="ReduceLanes"/> adds
    /// them at the end with the halving tree. Here lanes[l·D + c] += v_j[c] · p[j] for the m rows v_j (j·stride elements
    /// after v, D a multiple of 16) with (lead + j) mod 16 = l, read as floats by <typeparamref name="TRows"/>. The rows go
    /// lane by lane through chunks of <see cref="LaneChunkRows"/>, so a lane's 64 outputs stay in registers across the
    /// chunk's rows of that lane; F16 rows of the next chunk are prefetched a sixteenth per lane. An F16 row whose 64 (or
    /// 16) halves are all normal takes the three-instruction widening against the probability times 2^112 (the same
    /// products).
    /// </summary>
    private static void Weighted512<TRows>(float* p, byte* v, int stride, int m, int d, int lead, float* lanes) where TRows : struct, IRowElements
    {
        if (TRows.Half)
            for (int l = 0; l < LanesAhead; l++) PrefetchLane(v, stride, m, d, lead, 0, l);
        for (int j0 = 0; j0 < m; j0 += LaneChunkRows)
        {
            int end = Math.Min(j0 + LaneChunkRows, m);
            for (int l = 0; l < 16; l++)
            {
                if (TRows.Half)
                    PrefetchLane(v, stride, m, d, lead, l + LanesAhead < 16 ? j0 : j0 + LaneChunkRows, (l + LanesAhead) & 15);
                int first = j0 + ((l - lead - j0) & 15);
                if (first >= end) continue;
                float* a = lanes + l * d;
                int c = 0;
                for (; c + 64 <= d; c += 64) Lane64<TRows>(p, v, stride, first, end, c, a + c);
                for (; c < d; c += 16) Lane16<TRows>(p, v, stride, first, end, c, a + c);
            }
        }
    }

    /// <summary>
    /// <see cref="Weighted512"/> of two query heads that read the same F32 rows (a KV head's group), probabilities
    /// <paramref name="p"/> and p + <paramref name="pStride"/>, partial sums at lanes and lanes + 16·D: each row loaded
    /// once for both, the pair's 128 partial sums of a lane in registers.
    /// </summary>
    private static void WeightedPair(float* p, int pStride, float* v, int stride, int m, int d, int lead, float* lanes)
    {
        float* q = p + pStride;
        float* other = lanes + 16 * d;
        for (int j0 = 0; j0 < m; j0 += LaneChunkRows)
        {
            int end = Math.Min(j0 + LaneChunkRows, m);
            for (int l = 0; l < 16; l++)
            {
                int first = j0 + ((l - lead - j0) & 15);
                if (first >= end) continue;
                int c = 0;
                for (; c + 64 <= d; c += 64)
                {
                    float* a = lanes + l * d + c, b = other + l * d + c;
                    Vector512<float> a0 = Vector512.Load(a), a1 = Vector512.Load(a + 16), a2 = Vector512.Load(a + 32), a3 = Vector512.Load(a + 48);
                    Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16), b2 = Vector512.Load(b + 32), b3 = Vector512.Load(b + 48);
                    for (int j = first; j < end; j += 16)
                    {
                        float* row = v + (long)j * stride + c;
                        Vector512<float> v0 = Vector512.Load(row), v1 = Vector512.Load(row + 16), v2 = Vector512.Load(row + 32), v3 = Vector512.Load(row + 48);
                        Vector512<float> f = Vector512.Create(p[j]), g = Vector512.Create(q[j]);
                        a0 = Avx512F.FusedMultiplyAdd(v0, f, a0);
                        a1 = Avx512F.FusedMultiplyAdd(v1, f, a1);
                        a2 = Avx512F.FusedMultiplyAdd(v2, f, a2);
                        a3 = Avx512F.FusedMultiplyAdd(v3, f, a3);
                        b0 = Avx512F.FusedMultiplyAdd(v0, g, b0);
                        b1 = Avx512F.FusedMultiplyAdd(v1, g, b1);
                        b2 = Avx512F.FusedMultiplyAdd(v2, g, b2);
                        b3 = Avx512F.FusedMultiplyAdd(v3, g, b3);
                    }
                    a0.Store(a);
                    a1.Store(a + 16);
                    a2.Store(a + 32);
                    a3.Store(a + 48);
                    b0.Store(b);
                    b1.Store(b + 16);
                    b2.Store(b + 32);
                    b3.Store(b + 48);
                }
                for (; c < d; c += 16)
                {
                    Lane16<SingleElements>(p, (byte*)v, stride, first, end, c, lanes + l * d + c);
                    Lane16<SingleElements>(q, (byte*)v, stride, first, end, c, other + l * d + c);
                }
            }
        }
    }

    /// <summary>Rows the lane-by-lane walk takes at a time: a lane's rows of a chunk are first, first + 16, … below its end.</summary>
    private const int LaneChunkRows = 128;

    /// <summary>How many lanes ahead of the one being summed F16 rows are prefetched (a lane of a chunk is eight rows).</summary>
    private const int LanesAhead = 4;

    /// <summary>Prefetches the F16 rows (2·D bytes each) of lane <paramref name="lane"/> in the chunk from row <paramref name="j0"/>.</summary>
    private static void PrefetchLane(byte* v, int stride, int m, int d, int lead, int j0, int lane)
    {
        int end = Math.Min(j0 + LaneChunkRows, m);
        for (int j = j0 + ((lane - lead - j0) & 15); j < end; j += 16) PrefetchRow(v + 2L * j * stride, 2 * d);
    }

    /// <summary>a[0..64) += v_j[c..c + 64) · p[j] for j = first, first + 16, … below end, held in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lane64<TRows>(float* p, byte* v, int stride, int first, int end, int c, float* a) where TRows : struct, IRowElements
    {
        Vector512<float> a0 = Vector512.Load(a), a1 = Vector512.Load(a + 16), a2 = Vector512.Load(a + 32), a3 = Vector512.Load(a + 48);
        for (int j = first; j < end; j += 16)
        {
            byte* row = TRows.At(v, (long)j * stride + c);
            if (TRows.Half && Fp16Bits.AreNormal((ushort*)row, 64))
            {
                Vector512<float> scaled = Vector512.Create(p[j] * Fp16Bits.NormalScale);
                a0 = Avx512F.FusedMultiplyAdd(NormalHalfElements.Load(row, 0), scaled, a0);
                a1 = Avx512F.FusedMultiplyAdd(NormalHalfElements.Load(row, 16), scaled, a1);
                a2 = Avx512F.FusedMultiplyAdd(NormalHalfElements.Load(row, 32), scaled, a2);
                a3 = Avx512F.FusedMultiplyAdd(NormalHalfElements.Load(row, 48), scaled, a3);
                continue;
            }
            Vector512<float> f = Vector512.Create(p[j]);
            a0 = Avx512F.FusedMultiplyAdd(TRows.Load(row, 0), f, a0);
            a1 = Avx512F.FusedMultiplyAdd(TRows.Load(row, 16), f, a1);
            a2 = Avx512F.FusedMultiplyAdd(TRows.Load(row, 32), f, a2);
            a3 = Avx512F.FusedMultiplyAdd(TRows.Load(row, 48), f, a3);
        }
        a0.Store(a);
        a1.Store(a + 16);
        a2.Store(a + 32);
        a3.Store(a + 48);
    }

    /// <summary><see cref="Lane64"/> for the last 16 elements of a row whose length is not a multiple of 64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lane16<TRows>(float* p, byte* v, int stride, int first, int end, int c, float* a) where TRows : struct, IRowElements
    {
        Vector512<float> acc = Vector512.Load(a);
        for (int j = first; j < end; j += 16)
        {
            byte* row = TRows.At(v, (long)j * stride + c);
            acc = TRows.Half && Fp16Bits.AreNormal((ushort*)row, 16)
                ? Avx512F.FusedMultiplyAdd(NormalHalfElements.Load(row, 0), Vector512.Create(p[j] * Fp16Bits.NormalScale), acc)
                : Avx512F.FusedMultiplyAdd(TRows.Load(row, 0), Vector512.Create(p[j]), acc);
        }
        acc.Store(a);
    }

    /// <summary>o[c] = the halving sum over l of lanes[l·D + c] (x[l] + x[l + 8], then + 4, + 2, + 1), D a multiple of 16.</summary>
    private static void ReduceLanes(float* lanes, int d, float* o)
    {
        for (int c = 0; c < d; c += 16)
        {
            float* a = lanes + c;
            Vector512<float> t0 = Vector512.Load(a) + Vector512.Load(a + 8 * d), t1 = Vector512.Load(a + d) + Vector512.Load(a + 9 * d);
            Vector512<float> t2 = Vector512.Load(a + 2 * d) + Vector512.Load(a + 10 * d), t3 = Vector512.Load(a + 3 * d) + Vector512.Load(a + 11 * d);
            Vector512<float> t4 = Vector512.Load(a + 4 * d) + Vector512.Load(a + 12 * d), t5 = Vector512.Load(a + 5 * d) + Vector512.Load(a + 13 * d);
            Vector512<float> t6 = Vector512.Load(a + 6 * d) + Vector512.Load(a + 14 * d), t7 = Vector512.Load(a + 7 * d) + Vector512.Load(a + 15 * d);
            Vector512<float> u0 = t0 + t4, u1 = t1 + t5, u2 = t2 + t6, u3 = t3 + t7;
            ((u0 + u2) + (u1 + u3)).Store(o + c);
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
