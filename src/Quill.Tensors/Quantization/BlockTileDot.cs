// A 4×4 tile of dot products (4 weight rows × 4 activation rows) for the 32-element block formats: each unpacked
// weight block and loaded activation block is reused four times, which is what makes prompt processing fast.
// Not the single-row loop (BlockDot) and not the scalar meaning (each format's DotReference, applied pair by pair).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// out[c·outStride + r] = Dot(weights row r, activations row c) for r, c in 0..3, bit for bit what the single-row
/// <see cref="GgmlX86BlockDot"/> (and so llama.cpp's x86 kernels) computes for each pair: exact integer lanes, one FMA
/// accumulator per pair, the min term as an FMA in block order, the same horizontal sum. AVX2 only.
/// </summary>
internal static unsafe class BlockTileDot
{
    public const int Rows = 4, Columns = 4;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Blocks whose 16 scale products are computed ahead of the integer loop, as one stack chunk.</summary>
    private const int ChunkBlocks = 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TWeight, TActivation>(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        float* products = stackalloc float[ChunkBlocks * 16];
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector128<float> m0 = default, m1 = default, m2 = default, m3 = default; // min terms per activation row, lanes = weight rows
        for (int first = 0; first < blocks; first += ChunkBlocks)
        {
            int end = Math.Min(blocks, first + ChunkBlocks);
            // d_w · d_a of every pair, converted and multiplied a block at a time ahead of use, so the FMAs below
            // broadcast them straight from memory.
            for (int b = first; b < end; b++)
                ScaleProducts<TWeight, TActivation>(w + b * blockStride, wStride, a + b * TActivation.BlockBytes, aStride, products + (b - first) * 16);
            for (int b = first; b < end; b++)
            {
                byte* w0 = w + b * blockStride;
                byte* a0 = a + b * TActivation.BlockBytes;
                float* d = products + (b - first) * 16;
                Vector256<sbyte> x0 = TWeight.Quants(w0), x1 = TWeight.Quants(w0 + wStride), x2 = TWeight.Quants(w0 + 2 * wStride),
                    x3 = TWeight.Quants(w0 + 3 * wStride);
                Vector256<sbyte> ax0 = default, ax1 = default, ax2 = default, ax3 = default;
                if (!TWeight.QuantsAreUnsigned)
                {
                    ax0 = Avx2.Abs(x0).AsSByte(); ax1 = Avx2.Abs(x1).AsSByte(); ax2 = Avx2.Abs(x2).AsSByte(); ax3 = Avx2.Abs(x3).AsSByte();
                }
                Column<TWeight, TActivation>(a0, d, x0, x1, x2, x3, ax0, ax1, ax2, ax3, ref c00, ref c10, ref c20, ref c30);
                Column<TWeight, TActivation>(a0 + aStride, d + 4, x0, x1, x2, x3, ax0, ax1, ax2, ax3, ref c01, ref c11, ref c21, ref c31);
                Column<TWeight, TActivation>(a0 + 2 * aStride, d + 8, x0, x1, x2, x3, ax0, ax1, ax2, ax3, ref c02, ref c12, ref c22, ref c32);
                Column<TWeight, TActivation>(a0 + 3 * aStride, d + 12, x0, x1, x2, x3, ax0, ax1, ax2, ax3, ref c03, ref c13, ref c23, ref c33);
                if (TWeight.HasMin)
                {
                    Vector128<float> mw = Vector128.Create(TWeight.Min(w0), TWeight.Min(w0 + wStride), TWeight.Min(w0 + 2 * wStride),
                        TWeight.Min(w0 + 3 * wStride));
                    m0 = Fma.MultiplyAdd(mw, Vector128.Create(TActivation.Sum(a0)), m0);
                    m1 = Fma.MultiplyAdd(mw, Vector128.Create(TActivation.Sum(a0 + aStride)), m1);
                    m2 = Fma.MultiplyAdd(mw, Vector128.Create(TActivation.Sum(a0 + 2 * aStride)), m2);
                    m3 = Fma.MultiplyAdd(mw, Vector128.Create(TActivation.Sum(a0 + 3 * aStride)), m3);
                }
            }
        }
        Store<TWeight>(output, c00, c10, c20, c30, m0);
        Store<TWeight>(output + outStride, c01, c11, c21, c31, m1);
        Store<TWeight>(output + 2 * outStride, c02, c12, c22, c32, m2);
        Store<TWeight>(output + 3 * outStride, c03, c13, c23, c33, m3);
    }

    /// <summary>
    /// d[c·4 + r] = d_w(row r) · d_a(activation row c) for one block: the four weight and four activation fp16 scales
    /// converted in one vector, then two multiplies (each product rounded once, as the single-row dot rounds it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleProducts<TWeight, TActivation>(byte* w0, nint wStride, byte* a0, nint aStride, float* d)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        byte* dw = w0 + TWeight.ScaleOffset, da = a0 + TActivation.ScaleOffset;
        Vector256<float> s = Fp16Bits.ToSingle(Vector256.Create(
            (uint)*(ushort*)dw, *(ushort*)(dw + wStride), *(ushort*)(dw + 2 * wStride), *(ushort*)(dw + 3 * wStride),
            *(ushort*)da, *(ushort*)(da + aStride), *(ushort*)(da + 2 * aStride), *(ushort*)(da + 3 * aStride)));
        Vector256<float> weights = Avx2.PermuteVar8x32(s, Vector256.Create(0, 1, 2, 3, 0, 1, 2, 3));
        (weights * Avx2.PermuteVar8x32(s, Vector256.Create(4, 4, 4, 4, 5, 5, 5, 5))).Store(d);
        (weights * Avx2.PermuteVar8x32(s, Vector256.Create(6, 6, 6, 6, 7, 7, 7, 7))).Store(d + 8);
    }

    /// <summary>out[r] = Dot(weights row r, the activation row) for r in 0..3: the decode-time shape (one token).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRows<TWeight, TActivation>(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        bool prefetch = DecodePrefetch.Enabled;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector128<float> m = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* w0 = w + b * blockStride;
            byte* a0 = a + b * TActivation.BlockBytes;
            DecodePrefetch.Ahead(prefetch, w0, blockStride);
            Vector256<sbyte> y = Vector256.Load((sbyte*)(a0 + TActivation.QuantsOffset));
            Vector128<float> d = Scales<TWeight>(w0, wStride) * TActivation.Scale(a0);
            // A row at a time: holding all four rows' unpacked quants (and their absolute values) at once spilled them.
            c0 = Fma.MultiplyAdd(RowSums<TWeight>(w0, y), Vector256.Create(d.ToScalar()), c0);
            c1 = Fma.MultiplyAdd(RowSums<TWeight>(w0 + wStride, y), Vector256.Create(d.GetElement(1)), c1);
            c2 = Fma.MultiplyAdd(RowSums<TWeight>(w0 + 2 * wStride, y), Vector256.Create(d.GetElement(2)), c2);
            c3 = Fma.MultiplyAdd(RowSums<TWeight>(w0 + 3 * wStride, y), Vector256.Create(d.GetElement(3)), c3);
            if (TWeight.HasMin)
            {
                m = Fma.MultiplyAdd(Vector128.Create(TWeight.Min(w0), TWeight.Min(w0 + wStride), TWeight.Min(w0 + 2 * wStride), TWeight.Min(w0 + 3 * wStride)),
                    Vector128.Create(TActivation.Sum(a0)), m);
            }
        }
        Store<TWeight>(output, c0, c1, c2, c3, m);
    }

    /// <summary>One weight block's exact integer lanes against the loaded activation quants, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowSums<TWeight>(byte* block, Vector256<sbyte> y)
        where TWeight : struct, IQuantBlock
    {
        Vector256<sbyte> x = TWeight.Quants(block);
        return Sums<TWeight>(x, TWeight.QuantsAreUnsigned ? default : Avx2.Abs(x).AsSByte(), y);
    }

    /// <summary>One activation row against the four weight rows; d holds the four scale products of this pair of blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column<TWeight, TActivation>(byte* a, float* d,
        Vector256<sbyte> x0, Vector256<sbyte> x1, Vector256<sbyte> x2, Vector256<sbyte> x3,
        Vector256<sbyte> ax0, Vector256<sbyte> ax1, Vector256<sbyte> ax2, Vector256<sbyte> ax3,
        ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3)
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock
    {
        Vector256<sbyte> y = Vector256.Load((sbyte*)(a + TActivation.QuantsOffset));
        r0 = Fma.MultiplyAdd(Sums<TWeight>(x0, ax0, y), Vector256.Create(d[0]), r0);
        r1 = Fma.MultiplyAdd(Sums<TWeight>(x1, ax1, y), Vector256.Create(d[1]), r1);
        r2 = Fma.MultiplyAdd(Sums<TWeight>(x2, ax2, y), Vector256.Create(d[2]), r2);
        r3 = Fma.MultiplyAdd(Sums<TWeight>(x3, ax3, y), Vector256.Create(d[3]), r3);
    }

    /// <summary>The fp16 scales d of one block in four rows, converted in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Scales<TWeight>(byte* w0, nint wStride)
        where TWeight : struct, IQuantBlock
    {
        byte* d = w0 + TWeight.ScaleOffset;
        return Fp16Bits.ToSingle(Vector128.Create((uint)*(ushort*)d, *(ushort*)(d + wStride), *(ushort*)(d + 2 * wStride), *(ushort*)(d + 3 * wStride)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sums<TWeight>(Vector256<sbyte> x, Vector256<sbyte> absX, Vector256<sbyte> y)
        where TWeight : struct, IQuantBlock
    {
        Vector256<short> pairs = TWeight.QuantsAreUnsigned
            ? Avx2.MultiplyAddAdjacent(x.AsByte(), y)
            : Avx2.MultiplyAddAdjacent(absX.AsByte(), Avx2.Sign(y, x));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TWeight>(float* o, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3, Vector128<float> mins)
        where TWeight : struct, IQuantBlock
    {
        Vector128<float> sums = Vector128.Create(GgmlX86BlockDot.HorizontalSum(r0), GgmlX86BlockDot.HorizontalSum(r1), GgmlX86BlockDot.HorizontalSum(r2),
            GgmlX86BlockDot.HorizontalSum(r3));
        (TWeight.HasMin ? sums + mins : sums).Store(o);
    }
}
