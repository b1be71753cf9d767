// Registers the K-quant weight formats (Q2_K..Q6_K, activations as Q8_K) in the QuantFormats table, with their
// quantizers (plain and importance-weighted) and their four-row kernels where this machine has them.
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

public static partial class QuantFormats
{
    static partial void AddKQuantFormats(List<QuantFormat> formats)
    {
        formats.Add(new(GgmlType.Q2_K, GgmlType.Q8_K, Q2KBlock.Dot, Q2KBlock.DotReference, Q2KBlock.Dequantize, Q2KBlock.DequantizeReference,
            Q2KBlock.Quantize, Q8KBlock.Quantize)
        { QuantizeWeighted = Q2KBlock.QuantizeWeighted, Tile = Q2KTile(), Rows = Q2KRows() });
        formats.Add(new(GgmlType.Q3_K, GgmlType.Q8_K, Q3KBlock.Dot, Q3KBlock.DotReference, Q3KBlock.Dequantize, Q3KBlock.DequantizeReference,
            Q3KBlock.Quantize, Q8KBlock.Quantize)
        { QuantizeWeighted = Q3KBlock.QuantizeWeighted, Tile = Q3KTile(), Rows = Q3KRows() });
        formats.Add(new(GgmlType.Q4_K, GgmlType.Q8_K, Q4KBlock.Dot, Q4KBlock.DotReference, Q4KBlock.Dequantize, Q4KBlock.DequantizeReference,
            Q4KBlock.Quantize, Q8KBlock.Quantize)
        { QuantizeWeighted = Q4KBlock.QuantizeWeighted, Tile = Q4KTile(), Rows = Q4KRows(), Pairs = ScaleMinPairs<Q4KTileAvx512>(Q4KTileAvx512.IsSupported) });
        formats.Add(new(GgmlType.Q5_K, GgmlType.Q8_K, Q5KBlock.Dot, Q5KBlock.DotReference, Q5KBlock.Dequantize, Q5KBlock.DequantizeReference,
            Q5KBlock.Quantize, Q8KBlock.Quantize)
        { QuantizeWeighted = Q5KBlock.QuantizeWeighted, Tile = Q5KTile(), Rows = Q5KRows(), Pairs = ScaleMinPairs<Q5KTileAvx512>(Q5KTileAvx512.IsSupported) });
        formats.Add(new(GgmlType.Q6_K, GgmlType.Q8_K, Q6KBlock.Dot, Q6KBlock.DotReference, Q6KBlock.Dequantize, Q6KBlock.DequantizeReference,
            Q6KBlock.Quantize, Q8KBlock.Quantize)
        { QuantizeWeighted = Q6KBlock.QuantizeWeighted, Tile = Q6KTile(), Rows = Q6KRows(), Pairs = OffsetPairs<Q6KTileAvx512>(Q6KTileAvx512.IsSupported) });
    }

    // The four-row kernels reproduce the row dot of the widest level: AVX-512 ones where that is the level, AVX2 4×4 tiles for
    // Q4_K..Q6_K where AVX2 is.
    private static unsafe TileDot? Q2KTile() => Q2KTileAvx512.IsSupported ? Q2KTileAvx512.Tile : null;

    private static unsafe RowsDot? Q2KRows() => Q2KTileAvx512.IsSupported ? Q2KTileAvx512.Rows : null;

    private static unsafe TileDot? Q3KTile() => Q3KTileAvx512.IsSupported ? OffsetTileAvx512<Q3KTileAvx512>.Tile : null;

    private static unsafe RowsDot? Q3KRows() => Q3KTileAvx512.IsSupported ? OffsetTileAvx512<Q3KTileAvx512>.Rows : null;

    // With AVX-512 Q4_K's batches take its pair tile, in llama.cpp's repacked order (Q4KBlock.DotPairOrderReference); no 4×4 tile.
    private static unsafe TileDot? Q4KTile() => Avx2IsTheLevel ? KQuantTileAvx2<Q4KAvx2Quants>.Tile : null;

    private static unsafe RowsDot? Q4KRows() => Q4KTileAvx512.IsSupported ? ScaleMinTileAvx512<Q4KTileAvx512>.Rows : null;

    private static unsafe TileDot? Q5KTile() => Q5KTileAvx512.IsSupported ? ScaleMinTileAvx512<Q5KTileAvx512>.Tile
        : Avx2IsTheLevel ? KQuantTileAvx2<Q5KAvx2Quants>.Tile : null;

    private static unsafe RowsDot? Q5KRows() => Q5KTileAvx512.IsSupported ? ScaleMinTileAvx512<Q5KTileAvx512>.Rows : null;

    // Where AVX2 is the widest level the row dots are their AVX2 forms, which KQuantTileAvx2's prompt tile reproduces (Q4_K,
    // Q5_K, Q6_K). Decoding keeps the row dot over row-major rows there: a four-row kernel unpacking four rows a block
    // spilled (Q5_K 9.0 against 12.3 tok/s), and one reading interleaved groups a row at a time strided through memory
    // (Q6_K 3-5 against 13 tok/s on TinyLlama, Zen 3).
    private static bool Avx2IsTheLevel => SimdCapability.Best == SimdWidth.Vector256;

    // Prompt-time pair tiles (KQuantPairTileAvx512) and their decode kernels over the same packing, where the four-row kernels exist.
    private static unsafe PairTile? ScaleMinPairs<TQuants>(bool supported)
        where TQuants : struct, IScaleMinTileQuants<TQuants>, IKQuantElements =>
        supported ? new PairTile(KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.PairBlockBytes, KQuantPairPacking.Pack,
            KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.Run, ScaleMinTileAvx512<TQuants>.PackedRows) : null;

    private static unsafe PairTile? OffsetPairs<TQuants>(bool supported)
        where TQuants : struct, IOffsetTileQuants<TQuants>, IKQuantElements =>
        supported ? new PairTile(KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.PairBlockBytes, KQuantPairPacking.Pack,
            KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.Run, OffsetTileAvx512<TQuants>.PackedRows) : null;

    private static unsafe TileDot? Q6KTile() => Q6KTileAvx512.IsSupported ? OffsetTileAvx512<Q6KTileAvx512>.Tile
        : Avx2IsTheLevel ? KQuantTileAvx2<Q6KAvx2Quants>.Tile : null;

    private static unsafe RowsDot? Q6KRows() => Q6KTileAvx512.IsSupported ? OffsetTileAvx512<Q6KTileAvx512>.Rows : null;
}
