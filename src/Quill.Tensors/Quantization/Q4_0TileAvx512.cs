// Prompt-time Q4_0 × Q8_0 tiles with AVX-512BW: four weight rows against token pairs packed once per batch; decode is Q4_0RowsAvx512.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Each 512-bit accumulator holds one weight row against two tokens (token 2p in the low half, 2p+1 in the high half),
/// so one vpmaddubsw + vpmaddwd forms the integer lanes of two dots. The nibbles stay unsigned (0..15) and the offset
/// 8·Σy of each group of four is subtracted from the exact lane sum, giving the same integer as ggml's signed
/// (q − 8)·y lanes; each half then gets the FMA with d_w·d_a and the horizontal sum of <see cref="GgmlX86BlockDot"/>, so
/// every output is bit for bit the single-row dot (and llama.cpp's x86 result).
/// Activations come packed by <see cref="Pack"/>: per token pair and block, <see cref="PairBlockBytes"/> bytes of
/// <c>{ int8 y[2][32]; int16 offset[2][8]; float d[2]; }</c>, computed once per batch instead of once per weight row.
/// Measured limit (Emerald Rapids, 110M pp512, where this tile runs at 0.88–0.93× of llama.cpp): llama.cpp's repacked Q4_0 GEMM
/// forms its lanes with one 512-bit VPDPBUSD, which .NET 10 does not expose on such parts (no Avx512Vnni class, Avx10v1 not
/// supported; AvxVnni is 256-bit only); deleting only the vpmaddwd here (a wrong-result build) made prefill 5–10 % faster.
/// </summary>
internal static unsafe class Q4_0TileAvx512
{
    /// <summary>Bytes of one token pair's block in the packed activations (64 quants, 16 offsets, 2 scales, padding to 64-byte lines).</summary>
    public const int PairBlockBytes = 128;

    private const int OffsetsAt = 64, ScalesAt = 96;

    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported && Avx512DQ.IsSupported && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Packs tokens 0..2·<paramref name="pairs"/>−1 of Q8_0 rows (<paramref name="rowBytes"/> apart) for the tile:
    /// pair p, block b at packed + (p·blocks + b)·<see cref="PairBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed)
    {
        for (int p = 0; p < pairs; p++)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* dst = packed + ((nint)p * blocks + b) * PairBlockBytes;
                for (int h = 0; h < 2; h++)
                {
                    byte* src = rows + (2 * p + h) * rowBytes + b * Q8_0Block.BlockBytes;
                    sbyte* y = (sbyte*)(src + 2);
                    for (int j = 0; j < 32; j++) ((sbyte*)dst)[32 * h + j] = y[j];
                    for (int l = 0; l < 8; l++)
                        ((short*)(dst + OffsetsAt))[8 * h + l] = (short)(8 * (y[4 * l] + y[4 * l + 1] + y[4 * l + 2] + y[4 * l + 3]));
                    ((float*)(dst + ScalesAt))[h] = Fp16Bits.Load(src);
                }
                new Span<byte>(dst + ScalesAt + 8, PairBlockBytes - ScalesAt - 8).Clear();
            }
        }
    }

    /// <summary>
    /// out[t·outStride + r] = Dot(weight row r, token t) for r in 0..3 and t in 0..2·<paramref name="pairs"/>−1; block b
    /// of weight row k at w + b·blockStride + k·wStride, pair p's blocks at packed + p·pairStride.
    /// </summary>
    public static void Run(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        // The row group, prepared once per call and reused by every token pair.
        byte* g = RowGroupScratch.Aligned(blocks * GroupBlockBytes);
        Prepare(w, wStride, blockStride, blocks, g);
        // The next group of four rows, streamed into cache while this one computes: it follows this one in the
        // interleaved layout; row-major rows get no prefetch (the scratch stands in, already cached).
        byte* next = wStride == Q4_0Block.BlockBytes && blockStride == 4 * Q4_0Block.BlockBytes ? w + blocks * blockStride : g;
        int p = 0;
        for (; p + 4 <= pairs; p += 4)
            FourPairs(g, p == 0 ? next : g, packed + p * pairStride, pairStride, blocks, output + 2 * p * outStride, outStride);
        for (; p < pairs; p++)
            OnePair(g, packed + p * pairStride, blocks, output + 2 * p * outStride, outStride);
    }

    /// <summary>Bytes of one block of a prepared row group: four float scales, padding, then four rows' 32 unpacked quants.</summary>
    private const int GroupBlockBytes = 160, GroupQuantsAt = 32;


    /// <summary>
    /// The four rows' blocks made ready for the pair loops: d converted to float, the nibbles split into 32 bytes in
    /// element order (low nibbles, then high), so each pair tile only loads them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Prepare(byte* w, nint wStride, nint blockStride, int blocks, byte* g)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* dst = g + b * GroupBlockBytes;
            WeightScales(x, wStride).Store((float*)dst);
            for (int k = 0; k < 4; k++)
            {
                Vector128<byte> nibbles = Vector128.Load(x + k * wStride + 2);
                Vector256.Create(nibbles & Vector128.Create((byte)0x0F), (nibbles.AsUInt16() >>> 4).AsByte() & Vector128.Create((byte)0x0F))
                    .Store(dst + GroupQuantsAt + 32 * k);
            }
        }
    }

    /// <summary>Scalar <see cref="Run"/>: the same lanes, fused multiply-adds and reduction order, one (row, token) at a time.</summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        Span<float> acc = stackalloc float[8];
        for (int r = 0; r < 4; r++)
        {
            for (int t = 0; t < 2 * pairs; t++)
            {
                acc.Clear();
                for (int b = 0; b < blocks; b++)
                {
                    byte* x = w + b * blockStride + r * wStride;
                    byte* y = packed + t / 2 * pairStride + b * PairBlockBytes;
                    int h = t % 2;
                    float d = Fp16Bits.Load(x) * ((float*)(y + ScalesAt))[h];
                    for (int l = 0; l < 8; l++)
                    {
                        int s = -((short*)(y + OffsetsAt))[8 * h + l];
                        for (int j = 4 * l; j < 4 * l + 4; j++)
                        {
                            int q = j < 16 ? x[2 + j] & 0x0F : x[2 + j - 16] >> 4;
                            s += q * ((sbyte*)y)[32 * h + j];
                        }

                        acc[l] = MathF.FusedMultiplyAdd(s, d, acc[l]);
                    }
                }

                output[t * outStride + r] = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
            }
        }
    }

    /// <summary>
    /// 4 rows × 8 tokens: sixteen accumulators, each prepared weight block and each pair's block loaded once; two
    /// prefetches a block bring in the 72 bytes of the same block of the group <paramref name="next"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourPairs(byte* g, byte* next, byte* packed, nint pairStride, int blocks, float* output, nint outStride)
    {
        Vector512<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector512<float> a01 = default, a11 = default, a21 = default, a31 = default;
        Vector512<float> a02 = default, a12 = default, a22 = default, a32 = default;
        Vector512<float> a03 = default, a13 = default, a23 = default, a33 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* y = packed + b * PairBlockBytes;
            Sse.Prefetch0(next + b * 4 * Q4_0Block.BlockBytes);
            Sse.Prefetch0(next + b * 4 * Q4_0Block.BlockBytes + 64);
            Vector512<byte> q0 = Quants(x, 0), q1 = Quants(x, 1), q2 = Quants(x, 2), q3 = Quants(x, 3);
            Pair(y, (float*)x, q0, q1, q2, q3, ref a00, ref a10, ref a20, ref a30);
            Pair(y + pairStride, (float*)x, q0, q1, q2, q3, ref a01, ref a11, ref a21, ref a31);
            Pair(y + 2 * pairStride, (float*)x, q0, q1, q2, q3, ref a02, ref a12, ref a22, ref a32);
            Pair(y + 3 * pairStride, (float*)x, q0, q1, q2, q3, ref a03, ref a13, ref a23, ref a33);
        }
        Store(output, outStride, a00, a10, a20, a30);
        Store(output + 2 * outStride, outStride, a01, a11, a21, a31);
        Store(output + 4 * outStride, outStride, a02, a12, a22, a32);
        Store(output + 6 * outStride, outStride, a03, a13, a23, a33);
    }

    /// <summary>4 rows × 2 tokens, for the pairs left over after the four-pair tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OnePair(byte* g, byte* packed, int blocks, float* output, nint outStride)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            Pair(packed + b * PairBlockBytes, (float*)x, Quants(x, 0), Quants(x, 1), Quants(x, 2), Quants(x, 3), ref a0, ref a1, ref a2, ref a3);
        }
        Store(output, outStride, a0, a1, a2, a3);
    }

    /// <summary>
    /// Row k's prepared 32 quants of a block, twice (one copy per token of a pair): one vbroadcasti32x8. Not
    /// Avx512F.BroadcastVector256ToVector512(ulong*), which on .NET 10 broadcasts the pointer's own bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Quants(byte* preparedBlock, int k) =>
        Avx512DQ.BroadcastVector256ToVector512((int*)(preparedBlock + GroupQuantsAt + 32 * k)).AsByte();

    /// <summary>The fp16 scales d of one block in four rows, converted in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> WeightScales(byte* x, nint wStride) =>
        Fp16Bits.ToSingle(Vector128.Create((uint)*(ushort*)x, *(ushort*)(x + wStride), *(ushort*)(x + 2 * wStride), *(ushort*)(x + 3 * wStride)));

    /// <summary>One token pair's block against the four weight rows: r_k += lanes(q_k, y) · (d_w(k) · d_a), each half its own token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(byte* y, float* dw, Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3,
        ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3)
    {
        Vector512<sbyte> quants = Vector512.Load((sbyte*)y);
        Vector512<int> offsets = Avx512BW.ConvertToVector512Int32(Vector256.Load((short*)(y + OffsetsAt)));
        Vector512<float> da = Avx512F.PermuteVar16x32(Vector128.Load((float*)(y + ScalesAt)).ToVector256Unsafe().ToVector512Unsafe(),
            Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        r0 = Avx512F.FusedMultiplyAdd(Lanes(q0, quants, offsets), da * Vector512.Create(dw[0]), r0);
        r1 = Avx512F.FusedMultiplyAdd(Lanes(q1, quants, offsets), da * Vector512.Create(dw[1]), r1);
        r2 = Avx512F.FusedMultiplyAdd(Lanes(q2, quants, offsets), da * Vector512.Create(dw[2]), r2);
        r3 = Avx512F.FusedMultiplyAdd(Lanes(q3, quants, offsets), da * Vector512.Create(dw[3]), r3);
    }

    /// <summary>16 exact lanes Σ (q − 8)·y over groups of four, as floats: 8 for each token of the pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(Vector512<byte> q, Vector512<sbyte> y, Vector512<int> offsets) =>
        Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, y), Vector512<short>.One) - offsets);

    /// <summary>Row k's pair of dots: token 2p (low half) to o[k], token 2p+1 (high half) to o[outStride + k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* o, nint outStride, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(r0.GetLower()), GgmlX86BlockDot.HorizontalSum(r1.GetLower()),
            GgmlX86BlockDot.HorizontalSum(r2.GetLower()), GgmlX86BlockDot.HorizontalSum(r3.GetLower())).Store(o);
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(r0.GetUpper()), GgmlX86BlockDot.HorizontalSum(r1.GetUpper()),
            GgmlX86BlockDot.HorizontalSum(r2.GetUpper()), GgmlX86BlockDot.HorizontalSum(r3.GetUpper())).Store(o + outStride);
    }
}
