// Q2_K × Q8_K dots of four weight rows against four activation rows (tile) or one (rows) with AVX-512, sharing every load; the one-row dot is Q2KBlock.Dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Each (row, token) pair gets exactly the integer lanes of <see cref="Q2KBlock"/>'s AVX2 dot (lane j: bytes 4j..4j+3 of
/// every 32-weight chunk times its 16-weight group's scale; eight exact min sums) and the same per-lane FMAs (per block
/// the min term's, negated, then the sums', into one accumulator, as ggml's AVX2 dot) and final reduction; two pairs
/// share a 512-bit accumulator (lanes never mix), so every output is bit for
/// bit <see cref="Q2KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at <see cref="SimdWidth.Vector512"/> (which runs the
/// AVX2 dot). The weight unpack is done once per four tokens, activation loads once per four rows.
/// </summary>
internal static unsafe class Q2KTileAvx512
{
    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    /// <summary>out[c·outStride + r] = Dot(weight row r, activation row c); block b of row k at w + b·blockStride + k·wStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
    {
        // Per weight row r: tokens 0,1 in accRa (low, high 256 bits), tokens 2,3 in accRb.
        Vector512<float> acc0a = default, acc0b = default, acc1a = default, acc1b = default;
        Vector512<float> acc2a = default, acc2b = default, acc3a = default, acc3b = default;
        Constants k = Constants.Create();
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * Q8KBlock.BlockBytes;
            var tokens = new Tokens
            {
                Y = y,
                Stride = aStride,
                Dy01 = Vector512.Create(Vector256.Create(Unsafe.ReadUnaligned<float>(y)), Vector256.Create(Unsafe.ReadUnaligned<float>(y + aStride))),
                Dy23 = Vector512.Create(Vector256.Create(Unsafe.ReadUnaligned<float>(y + 2 * aStride)),
                    Vector256.Create(Unsafe.ReadUnaligned<float>(y + 3 * aStride))),
                Sums01 = Vector512.Create(GroupSums(y), GroupSums(y + aStride)),
                Sums23 = Vector512.Create(GroupSums(y + 2 * aStride), GroupSums(y + 3 * aStride)),
            };
            RowOfTile(x, tokens, k, ref acc0a, ref acc0b);
            RowOfTile(x + wStride, tokens, k, ref acc1a, ref acc1b);
            RowOfTile(x + 2 * wStride, tokens, k, ref acc2a, ref acc2b);
            RowOfTile(x + 3 * wStride, tokens, k, ref acc3a, ref acc3b);
        }
        StoreRow(output, outStride, acc0a, acc0b);
        StoreRow(output + 1, outStride, acc1a, acc1b);
        StoreRow(output + 2, outStride, acc2a, acc2b);
        StoreRow(output + 3, outStride, acc3a, acc3b);
    }

    /// <summary>out[r] = Dot(weight row r, the activation row) for r in 0..3: the decode-time shape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
    {
        Vector512<float> acc01 = default, acc23 = default;
        Constants k = Constants.Create();
        Vector512<int> lowHigh01 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        Vector512<int> lowHigh23 = Vector512.Create(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            Vector512<sbyte> y0 = Vector512.Load(q8), y1 = Vector512.Load(q8 + 64), y2 = Vector512.Load(q8 + 128), y3 = Vector512.Load(q8 + 192);
            Vector256<int> s0 = RowLanes(x, y0, y1, y2, y3, k, out Vector256<short> m0);
            Vector256<int> s1 = RowLanes(x + wStride, y0, y1, y2, y3, k, out Vector256<short> m1);
            Vector256<int> s2 = RowLanes(x + 2 * wStride, y0, y1, y2, y3, k, out Vector256<short> m2);
            Vector256<int> s3 = RowLanes(x + 3 * wStride, y0, y1, y2, y3, k, out Vector256<short> m3);
            Vector512<short> sums = Vector512.Create(GroupSums(y));
            Vector512<int> mins01 = Avx512BW.MultiplyAddAdjacent(sums, Vector512.Create(m0, m1));
            Vector512<int> mins23 = Avx512BW.MultiplyAddAdjacent(sums, Vector512.Create(m2, m3));
            // Lane r: dy·d_r and dy·dmin_r, the same single products the row dot forms.
            float dy = Unsafe.ReadUnaligned<float>(y);
            Vector512<float> d = (Vector128.Create(Fp16Bits.Load(x + Q2KBlock.DeltaOffset), Fp16Bits.Load(x + wStride + Q2KBlock.DeltaOffset),
                Fp16Bits.Load(x + 2 * wStride + Q2KBlock.DeltaOffset),
                    Fp16Bits.Load(x + 3 * wStride + Q2KBlock.DeltaOffset)) * dy).ToVector256Unsafe().ToVector512Unsafe();
            Vector512<float> dmin = (Vector128.Create(Fp16Bits.Load(x + Q2KBlock.MinOffset), Fp16Bits.Load(x + wStride + Q2KBlock.MinOffset),
                Fp16Bits.Load(x + 2 * wStride + Q2KBlock.MinOffset),
                    Fp16Bits.Load(x + 3 * wStride + Q2KBlock.MinOffset)) * dy).ToVector256Unsafe().ToVector512Unsafe();
            acc01 = Avx512F.FusedMultiplyAddNegated(Avx512F.PermuteVar16x32(dmin, lowHigh01), Avx512F.ConvertToVector512Single(mins01), acc01);
            acc23 = Avx512F.FusedMultiplyAddNegated(Avx512F.PermuteVar16x32(dmin, lowHigh23), Avx512F.ConvertToVector512Single(mins23), acc23);
            acc01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, lowHigh01), Avx512F.ConvertToVector512Single(Vector512.Create(s0, s1)), acc01);
            acc23 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, lowHigh23), Avx512F.ConvertToVector512Single(Vector512.Create(s2, s3)), acc23);
        }
        Vector128.Create(KQuant.Sum(acc01.GetLower()), KQuant.Sum(acc01.GetUpper()), KQuant.Sum(acc23.GetLower()), KQuant.Sum(acc23.GetUpper())).Store(output);
    }

    /// <summary>What the four tokens of a tile share within one block: their Q8_K blocks, scales and bsums (two tokens per vector).</summary>
    private struct Tokens
    {
        public byte* Y;
        public nint Stride;
        public Vector512<float> Dy01, Dy23;
        public Vector512<short> Sums01, Sums23;
    }

    /// <summary>The shifts bringing each 32-weight chunk's bit pair to bits 0..1, and the vpermw scale indices.</summary>
    private struct Constants
    {
        public Vector512<ushort> ShiftA, ShiftB;
        public Vector512<short> Pick0, Pick1, Pick2, Pick3;

        public static Constants Create() => new()
        {
            ShiftA = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)2)),
            ShiftB = Vector512.Create(Vector256.Create((ushort)4), Vector256.Create((ushort)6)),
            Pick0 = Q6KBlock.QuadIndex(0),
            Pick1 = Q6KBlock.QuadIndex(4),
            Pick2 = Q6KBlock.QuadIndex(8),
            Pick3 = Q6KBlock.QuadIndex(12),
        };
    }

    /// <summary>One weight row's block against the four tokens: unpacked once, then four integer dots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowOfTile(byte* x, in Tokens t, in Constants k, ref Vector512<float> acc01, ref Vector512<float> acc23)
    {
        Unpack(x, k, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
            out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector256<short> mins16);
        Vector256<int> t0 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + Q8KBlock.QuantsOffset));
        Vector256<int> t1 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + t.Stride + Q8KBlock.QuantsOffset));
        Vector256<int> t2 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + 2 * t.Stride + Q8KBlock.QuantsOffset));
        Vector256<int> t3 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + 3 * t.Stride + Q8KBlock.QuantsOffset));
        Vector512<short> mins = Vector512.Create(mins16);
        Vector512<float> d = Vector512.Create(Fp16Bits.Load(x + Q2KBlock.DeltaOffset)), dmin = Vector512.Create(Fp16Bits.Load(x + Q2KBlock.MinOffset));
        acc01 = Avx512F.FusedMultiplyAddNegated(dmin * t.Dy01, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(t.Sums01, mins)), acc01);
        acc23 = Avx512F.FusedMultiplyAddNegated(dmin * t.Dy23, Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(t.Sums23, mins)), acc23);
        acc01 = Avx512F.FusedMultiplyAdd(d * t.Dy01, Avx512F.ConvertToVector512Single(Vector512.Create(t0, t1)), acc01);
        acc23 = Avx512F.FusedMultiplyAdd(d * t.Dy23, Avx512F.ConvertToVector512Single(Vector512.Create(t2, t3)), acc23);
    }

    /// <summary>One weight row's block against one token's loaded quants: the eight exact lanes, and the row's mins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowLanes(byte* x, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3, in Constants k,
        out Vector256<short> mins16)
    {
        Unpack(x, k, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
            out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out mins16);
        return RowLanesOf(q0, q1, q2, q3, s0, s1, s2, s3, y0, y1, y2, y3);
    }

    /// <summary>
    /// One block of one weight row: the 2-bit quants as four 64-byte vectors in activation order (weights 0..63,
    /// 64..127, 128..191, 192..255), the matching per-16 scale vectors, and the sixteen mins as shorts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(byte* x, in Constants k,
        out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
        out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector256<short> mins16)
    {
        Vector128<byte> low4 = Vector128.Create((byte)0x0F);
        Vector128<byte> packed = Sse2.LoadVector128(x);
        Vector512<short> table = Avx2.ConvertToVector256Int16(Sse2.And(packed, low4)).ToVector512Unsafe();
        mins16 = Avx2.ConvertToVector256Int16(Sse2.And(Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte(), low4));
        s0 = Avx512BW.PermuteVar32x16(table, k.Pick0);
        s1 = Avx512BW.PermuteVar32x16(table, k.Pick1);
        s2 = Avx512BW.PermuteVar32x16(table, k.Pick2);
        s3 = Avx512BW.PermuteVar32x16(table, k.Pick3);
        Half(x + Q2KBlock.QuantsOffset, k, out q0, out q1);
        Half(x + Q2KBlock.QuantsOffset + 32, k, out q2, out q3);
    }

    /// <summary>One 128-weight half from its 32 qs bytes: q01 holds bit pairs 0 | 1 (weights 0..63), q23 bit pairs 2 | 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Half(byte* qs, in Constants k, out Vector512<byte> q01, out Vector512<byte> q23)
    {
        Vector512<byte> three = Vector512.Create((byte)3);
        Vector512<ushort> v = Avx512DQ.BroadcastVector256ToVector512((int*)qs).AsUInt16();
        q01 = Avx512F.And(Avx512BW.ShiftRightLogicalVariable(v, k.ShiftA).AsByte(), three);
        q23 = Avx512F.And(Avx512BW.ShiftRightLogicalVariable(v, k.ShiftB).AsByte(), three);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3,
        Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3, sbyte* q8) =>
        RowLanesOf(q0, q1, q2, q3, s0, s1, s2, s3,
            Avx512BW.LoadVector512(q8), Avx512BW.LoadVector512(q8 + 64), Avx512BW.LoadVector512(q8 + 128), Avx512BW.LoadVector512(q8 + 192));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowLanesOf(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3,
        Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3,
        Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3)
    {
        Vector512<int> sumi = Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, y0), s0),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, y1), s1));
        sumi = Avx512F.Add(sumi, Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, y2), s2),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, y3), s3)));
        return Avx2.Add(sumi.GetLower(), sumi.GetUpper());
    }

    /// <summary>The sixteen bsums of one Q8_K block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> GroupSums(byte* q8kBlock) => Avx.LoadVector256((short*)(q8kBlock + Q8KBlock.SumsOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* o, nint outStride, Vector512<float> acc01, Vector512<float> acc23)
    {
        o[0] = KQuant.Sum(acc01.GetLower());
        o[outStride] = KQuant.Sum(acc01.GetUpper());
        o[2 * outStride] = KQuant.Sum(acc23.GetLower());
        o[3 * outStride] = KQuant.Sum(acc23.GetUpper());
    }
}
