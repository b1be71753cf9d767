// Prompt-time Q4_0 × Q8_0 tiles with AVX-512BW in llama.cpp's repacked order: four weight rows against token pairs packed once per batch.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Every output is <see cref="Q4_0Avx2.Reference"/>'s: per block the exact Σ (q − 8)·y of all 32 products, then
/// acc = fma(float(Σ), d_w·d_a, acc), as llama.cpp's repacked Q4_0 GEMM (ggml_gemm_q4_0_8x8_q8_0) forms it, so a
/// prompt's logits are llama.cpp's. Like that GEMM each int32 lane holds one (token t, row k) at 4t + k: per
/// four-weight step one vpmaddubsw meets the four rows' nibble bytes (16 prepared bytes broadcast to every 128-bit lane)
/// with each token's four activation bytes (broadcast within its lane by one vpermt2d); a block's eight steps sum in
/// int16 (at most 8·2·15·128, exact), one vpmaddwd widens them, 8·Σy comes off, and one FMA takes sixteen outputs.
/// The nibbles stay unsigned (0..15). Activations come packed by <see cref="Pack"/>: per token pair and block,
/// <see cref="PairBlockBytes"/> bytes of <c>{ int8 y[2][32]; float d[2][4]; int32 offset[2][4]; }</c> (each token's
/// scale and 8·Σy four times, one per row lane), computed once per batch instead of once per weight row.
/// </summary>
internal static unsafe class Q4_0TileAvx512
{
    /// <summary>Bytes of one token pair's block in the packed activations (64 quants, the scales and offsets four times each).</summary>
    public const int PairBlockBytes = 128;

    private const int ScalesAt = 64, OffsetsAt = 96;

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
                    int sum = 0;
                    for (int j = 0; j < 32; j++)
                    {
                        ((sbyte*)dst)[32 * h + j] = y[j];
                        sum += y[j];
                    }
                    Vector128.Create(Fp16Bits.Load(src)).Store((float*)(dst + ScalesAt) + 4 * h);
                    Vector128.Create(8 * sum).Store((int*)(dst + OffsetsAt) + 4 * h);
                }
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
        {
            float* o = output + 2 * p * outStride;
            EightTokens(g, p == 0 ? next : g, packed + p * pairStride, pairStride, blocks, o, outStride);
        }
        for (; p + 2 <= pairs; p += 2)
        {
            float* o = output + 2 * p * outStride;
            FourTokens(g, packed + p * pairStride, pairStride, blocks, o, o + 2 * outStride, outStride, outStride);
        }
        if (p < pairs)
        {
            // The last pair alone: computed twice over, the copy's outputs dropped.
            float* dropped = stackalloc float[8];
            FourTokens(g, packed + p * pairStride, 0, blocks, output + 2 * p * outStride, dropped, outStride, 4);
        }
    }

    /// <summary>Bytes of one block of a prepared row group: four float scales, padding, then the rows' quants for the row lanes.</summary>
    private const int GroupBlockBytes = 160, GroupQuantsAt = 32;

    /// <summary>
    /// The four rows' blocks made ready for the tiles: d converted to float, and the nibbles of each row split into 32
    /// bytes in element order (low nibbles, then high), laid so that elements 4s..4s+3 of the four rows lie side by side
    /// at GroupQuantsAt + 16·s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Prepare(byte* w, nint wStride, nint blockStride, int blocks, byte* g)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* dst = g + b * GroupBlockBytes;
            WeightScales(x, wStride).Store((float*)dst);
            Vector256<int> a = Elements(x), c = Elements(x + wStride), d = Elements(x + 2 * wStride), e = Elements(x + 3 * wStride);
            Vector256<long> acLow = Avx2.UnpackLow(a, c).AsInt64(), acHigh = Avx2.UnpackHigh(a, c).AsInt64();
            Vector256<long> deLow = Avx2.UnpackLow(d, e).AsInt64(), deHigh = Avx2.UnpackHigh(d, e).AsInt64();
            // 128-bit lane j of s_n: the four rows' dword 4j + n.
            Vector256<long> s0 = Avx2.UnpackLow(acLow, deLow), s1 = Avx2.UnpackHigh(acLow, deLow);
            Vector256<long> s2 = Avx2.UnpackLow(acHigh, deHigh), s3 = Avx2.UnpackHigh(acHigh, deHigh);
            byte* quants = dst + GroupQuantsAt;
            Avx2.Permute2x128(s0, s1, 0x20).Store((long*)quants);
            Avx2.Permute2x128(s2, s3, 0x20).Store((long*)(quants + 32));
            Avx2.Permute2x128(s0, s1, 0x31).Store((long*)(quants + 64));
            Avx2.Permute2x128(s2, s3, 0x31).Store((long*)(quants + 96));
        }
    }

    /// <summary>One row's block as 32 unsigned quants in element order: the low nibbles (elements 0..15), then the high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Elements(byte* block)
    {
        Vector128<byte> nibbles = Vector128.Load(block + 2);
        return Vector256.Create(nibbles & Vector128.Create((byte)0x0F), (nibbles.AsUInt16() >>> 4).AsByte() & Vector128.Create((byte)0x0F)).AsInt32();
    }

    /// <summary>Scalar <see cref="Run"/>: <see cref="Q4_0Avx2.Reference"/>'s sums and fused multiply-adds over the packed activations.</summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        for (int r = 0; r < 4; r++)
        {
            for (int t = 0; t < 2 * pairs; t++)
            {
                float acc = 0;
                for (int b = 0; b < blocks; b++)
                {
                    byte* x = w + b * blockStride + r * wStride;
                    byte* y = packed + t / 2 * pairStride + b * PairBlockBytes;
                    int h = t % 2;
                    int s = -((int*)(y + OffsetsAt))[4 * h];
                    for (int j = 0; j < 32; j++)
                        s += (j < 16 ? x[2 + j] & 0x0F : x[2 + j - 16] >> 4) * ((sbyte*)y)[32 * h + j];
                    acc = MathF.FusedMultiplyAdd(s, Fp16Bits.Load(x) * ((float*)(y + ScalesAt))[4 * h], acc);
                }
                output[t * outStride + r] = acc;
            }
        }
    }

    /// <summary>
    /// 4 rows × 8 tokens (four pairs): two sixteen-lane accumulators, each prepared weight step loaded once for both; two
    /// prefetches a block bring in the 72 bytes of the same block of the group <paramref name="next"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EightTokens(byte* g, byte* next, byte* packed, nint pairStride, int blocks, float* output, nint outStride)
    {
        Vector512<float> first = default, second = default;
        Vector512<int> step = Avx512Lanes.TokenDwords;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* y = packed + b * PairBlockBytes;
            Sse.Prefetch0(next + b * 4 * Q4_0Block.BlockBytes);
            Sse.Prefetch0(next + b * 4 * Q4_0Block.BlockBytes + 64);
            Vector512<float> dw = Avx512F.BroadcastVector128ToVector512((float*)x);
            byte* q = x + GroupQuantsAt;
            Vector512<int> a0 = Vector512.Load((int*)y), b0 = Vector512.Load((int*)(y + pairStride));
            Vector512<int> a1 = Vector512.Load((int*)(y + 2 * pairStride)), b1 = Vector512.Load((int*)(y + 3 * pairStride));
            // Avx512Lanes.RowLaneSteps for both token quads, each step's row bytes loaded once.
            Vector512<short> p0 = default, p1 = default;
            for (int s = 0; s < 8; s++)
            {
                Vector512<byte> rows = Avx512F.BroadcastVector128ToVector512((int*)(q + 16 * s)).AsByte();
                Vector512<int> pick = step + Vector512.Create(s);
                p0 += Avx512BW.MultiplyAddAdjacent(rows, Avx512F.PermuteVar16x32x2(a0, pick, b0).AsSByte());
                p1 += Avx512BW.MultiplyAddAdjacent(rows, Avx512F.PermuteVar16x32x2(a1, pick, b1).AsSByte());
            }
            first = Accumulate(p0, y, y + pairStride, dw, first);
            second = Accumulate(p1, y + 2 * pairStride, y + 3 * pairStride, dw, second);
        }
        Store(output, outStride, first);
        Store(output + 4 * outStride, outStride, second);
    }

    /// <summary>
    /// 4 rows × 4 tokens (two pairs) for pairs left after the eight-token tiles: tokens 0, 1 to <paramref name="first"/>
    /// and first + outStride, 2, 3 to <paramref name="second"/> and second + secondStride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourTokens(byte* g, byte* packed, nint pairStride, int blocks, float* first, float* second, nint outStride, nint secondStride)
    {
        Vector512<float> acc = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* y = packed + b * PairBlockBytes;
            Vector512<short> p = Avx512Lanes.RowLaneSteps(x + GroupQuantsAt, Vector512.Load((int*)y), Vector512.Load((int*)(y + pairStride)));
            acc = Accumulate(p, y, y + pairStride, Avx512F.BroadcastVector128ToVector512((float*)x), acc);
        }
        acc.GetLower().GetLower().Store(first);
        acc.GetLower().GetUpper().Store(first + outStride);
        acc.GetUpper().GetLower().Store(second);
        acc.GetUpper().GetUpper().Store(second + secondStride);
    }

    /// <summary>A block's sixteen sums: widened, 8·Σy off, then acc = fma(float(Σ), d_w·d_a, acc) per (token, row) lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate(Vector512<short> pairs, byte* ya, byte* yb, Vector512<float> dw, Vector512<float> acc)
    {
        Vector512<int> offsets = Avx512Lanes.Join(Vector256.Load((int*)(ya + OffsetsAt)), Vector256.Load((int*)(yb + OffsetsAt)));
        Vector512<float> da = Avx512Lanes.Join(Vector256.Load((float*)(ya + ScalesAt)), Vector256.Load((float*)(yb + ScalesAt)));
        Vector512<int> sums = Avx512BW.MultiplyAddAdjacent(pairs, Vector512<short>.One) - offsets;
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), dw * da, acc);
    }

    /// <summary>Lane 4t + k to o[t·outStride + k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* o, nint outStride, Vector512<float> v)
    {
        v.GetLower().GetLower().Store(o);
        v.GetLower().GetUpper().Store(o + outStride);
        v.GetUpper().GetLower().Store(o + 2 * outStride);
        v.GetUpper().GetUpper().Store(o + 3 * outStride);
    }

    /// <summary>The fp16 scales d of one block in four rows, converted in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> WeightScales(byte* x, nint wStride) =>
        Fp16Bits.ToSingle(Vector128.Create((uint)*(ushort*)x, *(ushort*)(x + wStride), *(ushort*)(x + 2 * wStride), *(ushort*)(x + 3 * wStride)));
}
