// Prompt-time Q8_0 × Q8_0 tiles where AVX2 is the widest level: four weight rows against token pairs packed once per
// batch, with every scale converted once (the activations' per batch, the weights' per call) instead of once per tile.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Each dot is ggml's x86 Q8_0 dot (<see cref="GgmlX86BlockDot"/>) to the bit: per block the exact integer lanes
/// vpmaddwd(vpmaddubsw(|x|, sign(y, x)), 1), one FMA with d_w·d_a into eight float lanes, the same horizontal sum.
/// What changes is where the time goes. The 4×4 <see cref="BlockTileDot"/> converted eight fp16 scales per block and
/// tile (about sixty µops against eighty for its sixteen dots) and spilled six of its sixteen accumulators; here
/// <see cref="Pack"/> converts the activations' scales once per batch, each call converts its rows' scales and takes
/// |x| once into a small scratch group reused by every token pair, and a pair's eight accumulators stay in registers
/// (llama.cpp's tinyBLAS runs the same 4×2 shape on AVX2).
/// Activations come packed: per token pair and block, <see cref="PairBlockBytes"/> bytes of
/// <c>{ int8 y[2][32]; float d[2]; }</c>.
/// </summary>
internal static unsafe class Q8_0TileAvx2
{
    /// <summary>Bytes of one token pair's block in the packed activations.</summary>
    public const int PairBlockBytes = 72;

    private const int ScalesAt = 64;

    /// <summary>Bytes of one block of a prepared row group: the four rows' float scales, then per row its 32 |x|.</summary>
    private const int GroupBlockBytes = 16 + 4 * 32, GroupQuantsAt = 16;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Packs tokens 0..2·<paramref name="pairs"/>−1 of Q8_0 rows (<paramref name="rowBytes"/> apart) for the tile:
    /// pair p, block b at packed + (p·blocks + b)·<see cref="PairBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed) =>
        Q8_0PairPacking.Pack(rows, rowBytes, pairs, blocks, packed, PairBlockBytes, ScalesAt, 1);

    /// <summary>
    /// out[t·outStride + r] = Dot(weight row r, token t) for r in 0..3 and t in 0..2·<paramref name="pairs"/>−1; block b
    /// of weight row k at w + b·blockStride + k·wStride, pair p's blocks at packed + p·pairStride.
    /// </summary>
    public static void Run(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        byte* g = RowGroupScratch.Aligned(blocks * GroupBlockBytes);
        Prepare(w, wStride, blockStride, blocks, g);
        for (int p = 0; p < pairs; p++)
            OnePair(w, wStride, blockStride, g, packed + p * pairStride, blocks, output + 2 * p * outStride, outStride);
    }

    /// <summary>The four rows' scales as floats and their |x|, block by block, for every pair of the call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Prepare(byte* w, nint wStride, nint blockStride, int blocks, byte* g)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* dst = g + b * GroupBlockBytes;
            Vector128.Create(Fp16Bits.Load(x), Fp16Bits.Load(x + wStride), Fp16Bits.Load(x + 2 * wStride), Fp16Bits.Load(x + 3 * wStride))
                .Store((float*)dst);
            for (int k = 0; k < 4; k++)
                Avx2.Abs(Vector256.Load((sbyte*)(x + k * wStride + 2))).Store(dst + GroupQuantsAt + 32 * k);
        }
    }

    /// <summary>4 rows × 2 tokens: eight accumulators, the pair's quants loaded once per block, each row's |x| and x once per token pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OnePair(byte* w, nint wStride, nint blockStride, byte* g, byte* pair, int blocks, float* output, nint outStride)
    {
        Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
        float* d = stackalloc float[8];
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride + 2;
            byte* prepared = g + b * GroupBlockBytes;
            byte* y = pair + b * PairBlockBytes;
            // d_w·d_a for the four rows and each token, each product rounded once as the row dot rounds it.
            Vector128<float> dw = Vector128.Load((float*)prepared);
            (dw * Vector128.Create(((float*)(y + ScalesAt))[0])).Store(d);
            (dw * Vector128.Create(((float*)(y + ScalesAt))[1])).Store(d + 4);
            Vector256<sbyte> y0 = Vector256.Load((sbyte*)y), y1 = Vector256.Load((sbyte*)(y + 32));
            byte* abs = prepared + GroupQuantsAt;
            Row(x, abs, y0, y1, d, ref a00, ref a01);
            Row(x + wStride, abs + 32, y0, y1, d + 1, ref a10, ref a11);
            Row(x + 2 * wStride, abs + 64, y0, y1, d + 2, ref a20, ref a21);
            Row(x + 3 * wStride, abs + 96, y0, y1, d + 3, ref a30, ref a31);
        }
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(a00), GgmlX86BlockDot.HorizontalSum(a10), GgmlX86BlockDot.HorizontalSum(a20),
            GgmlX86BlockDot.HorizontalSum(a30)).Store(output);
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(a01), GgmlX86BlockDot.HorizontalSum(a11), GgmlX86BlockDot.HorizontalSum(a21),
            GgmlX86BlockDot.HorizontalSum(a31)).Store(output + outStride);
    }

    /// <summary>One weight row's block against both tokens: d[0] and d[4] are its scale products with them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(byte* x, byte* abs, Vector256<sbyte> y0, Vector256<sbyte> y1, float* d, ref Vector256<float> t0, ref Vector256<float> t1)
    {
        Vector256<sbyte> q = Vector256.Load((sbyte*)x);
        Vector256<byte> u = Vector256.Load(abs);
        t0 = Fma.MultiplyAdd(Lanes(u, Avx2.Sign(y0, q)), Vector256.Create(d[0]), t0);
        t1 = Fma.MultiplyAdd(Lanes(u, Avx2.Sign(y1, q)), Vector256.Create(d[4]), t1);
    }

    /// <summary>Eight exact lanes Σ |x|·sign(y, x) over groups of four, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes(Vector256<byte> abs, Vector256<sbyte> signed) =>
        Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(abs, signed), Vector256<short>.One));

    /// <summary>Scalar <see cref="Run"/>: ggml's x86 order (eight lanes of four products, FMA per block, its horizontal sum).</summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride) =>
        Q8_0PairPacking.Reference(w, wStride, blockStride, packed, pairStride, pairs, blocks, output, outStride, PairBlockBytes, ScalesAt, 1);
}
