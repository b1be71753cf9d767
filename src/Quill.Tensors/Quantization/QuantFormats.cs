// The table from a GgmlType to its row kernels (dot, dequantize, quantize); the K-quants add their rows in QuantFormats.KQuants.cs.
using System.Diagnostics.CodeAnalysis;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Dot of one weight row (the format's bytes) with one activation row (the bytes of <see cref="QuantFormat.ActivationType"/>).</summary>
public delegate float RowDot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow);

/// <summary>Expands a row of a format's bytes into floats.</summary>
public delegate void RowConvert(ReadOnlySpan<byte> source, Span<float> destination);

/// <summary>Encodes a row of floats into a format's bytes.</summary>
public delegate void RowQuantize(ReadOnlySpan<float> source, Span<byte> destination);

/// <summary>
/// Encodes one row of floats into a format's bytes, weighting each column's error by <paramref name="importance"/>
/// (ggml's quant_weights, one value per column of the row: an importance matrix entry, length = source.Length).
/// </summary>
public delegate void RowQuantizeWeighted(ReadOnlySpan<float> source, Span<byte> destination, ReadOnlySpan<float> importance);

/// <summary>
/// The kernels of one weight type. To multiply: quantize the activations once with <see cref="QuantizeActivations"/>,
/// then call <see cref="Dot"/> per weight row.
/// </summary>
/// <param name="Type">The weight type.</param>
/// <param name="ActivationType">The type <see cref="Dot"/> expects its activations in (Q8_0, Q8_1, Q8_K, or F32 for float rows).</param>
/// <param name="Dot">SIMD dot; within <see cref="QuantTolerances.DotRelative"/> of <paramref name="DotReference"/>.</param>
/// <param name="DotReference">Scalar dot in ggml's order.</param>
/// <param name="Dequantize">SIMD row expansion; identical to <paramref name="DequantizeReference"/>.</param>
/// <param name="DequantizeReference">Scalar row expansion, bit-exact with ggml.</param>
/// <param name="Quantize">Float row to weight bytes, bit-exact with ggml's reference quantizer (quantize_row_{type}_ref); null when not supported.</param>
/// <param name="QuantizeActivations">Float row to <paramref name="ActivationType"/> bytes (for float rows a byte copy).</param>
public sealed record QuantFormat(
    GgmlType Type,
    GgmlType ActivationType,
    RowDot Dot,
    RowDot DotReference,
    RowConvert Dequantize,
    RowConvert DequantizeReference,
    RowQuantize? Quantize,
    RowQuantize QuantizeActivations)
{
    /// <summary>
    /// A 4 weight rows × 4 activation rows tile of <see cref="Dot"/>s sharing every load (batched matmuls), or null
    /// where the format has none on this machine. Same arithmetic as <see cref="Dot"/> pair by pair.
    /// </summary>
    public TileDot? Tile { get; init; }

    /// <summary>4 weight rows against one activation row (decoding), or null where the format has none here.</summary>
    public RowsDot? Rows { get; init; }

    /// <summary>
    /// Prompt-time tiles over activations re-laid out once per batch in token pairs (preferred over <see cref="Tile"/>
    /// where present), or null where the format has none on this machine. Same arithmetic as <see cref="Dot"/> pair by pair.
    /// </summary>
    public PairTile? Pairs { get; init; }

    /// <summary>
    /// Float row to weight bytes with an importance matrix, byte-identical with ggml's quantize_{type}(src, dst, 1, n,
    /// imatrix) for one row (llama-quantize --imatrix); null where the format has none. Without importance ggml runs
    /// <see cref="Quantize"/>'s reference quantizer instead.
    /// </summary>
    public RowQuantizeWeighted? QuantizeWeighted { get; init; }

    /// <summary>Elements per block of <see cref="Type"/>.</summary>
    public int BlockSize => GgmlTypeInfo.BlockSize(Type);

    /// <summary>Bytes per block of <see cref="Type"/>.</summary>
    public int BlockBytes => GgmlTypeInfo.BlockBytes(Type);

    /// <summary>Bytes of a weight row of <paramref name="elements"/> elements.</summary>
    public int RowBytes(int elements) => checked((int)GgmlTypeInfo.RowBytes(Type, elements));

    /// <summary>Bytes of an activation row of <paramref name="elements"/> elements, as <see cref="QuantizeActivations"/> writes it.</summary>
    public int ActivationRowBytes(int elements) => checked((int)GgmlTypeInfo.RowBytes(ActivationType, elements));
}

/// <summary>out[c·outputStride + r] = dot(weight row r, activation row c) for r, c in 0..3.
/// Block b of weight row k is at weights + b·blockStride + k·rowStride (row-major or interleaved groups of four).</summary>
public unsafe delegate void TileDot(byte* weights, nint rowStride, nint blockStride, byte* activations, nint activationRowBytes, int blocks, float* output,
    nint outputStride);

/// <summary>output[r] = dot(weight row r, the activation row) for r in 0..3.
/// Block b of weight row k is at weights + b·blockStride + k·rowStride.</summary>
public unsafe delegate void RowsDot(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output);

/// <summary>
/// A tile kernel whose activations are packed once per batch: <see cref="Pack"/> turns token pairs of
/// <see cref="QuantFormat.ActivationType"/> rows into <see cref="PairBlockBytes"/> bytes per pair and block, and
/// <see cref="Run"/> dots four weight rows with any number of packed pairs.
/// </summary>
/// <param name="PairBlockBytes">Bytes of one token pair's block in the packed activations.</param>
/// <param name="Pack">Packs the first 2·pairs activation rows.</param>
/// <param name="Run">out[t·outputStride + r] = dot(weight row r, token t) for r in 0..3 and t below 2·pairs; null for a
/// decode-only packing (F16 on AVX2), batches then taking the format's other tiles over plain activations.</param>
/// <param name="Rows">output[r] = dot(weight row r, one token) for r in 0..3 (decoding), the token packed as a pair with itself
/// (<paramref name="Pack"/> with rowBytes 0); null where the format's own <see cref="QuantFormat.Rows"/> over plain
/// activations decodes faster (Q4_0), and decoding then takes that instead of the tile.</param>
public sealed record PairTile(int PairBlockBytes, ActivationPack Pack, PairTileDot? Run, RowsDot? Rows);

/// <summary>Packs activation rows 0..2·pairs−1 (rowBytes apart) into pair-major blocks: pair p, block b at packed + (p·blocks + b)·PairBlockBytes.</summary>
public unsafe delegate void ActivationPack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed);

/// <summary>out[t·outputStride + r] = dot(weight row r, token t) for r in 0..3, t in 0..2·pairs−1; pair p's packed blocks at packed + p·pairStride.
/// Block b of weight row k is at weights + b·blockStride + k·rowStride.</summary>
public unsafe delegate void PairTileDot(byte* weights, nint rowStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks,
    float* output, nint outputStride);

/// <summary>Looks up the kernels of a <see cref="GgmlType"/>.</summary>
public static partial class QuantFormats
{
    private static readonly QuantFormat?[] ByType = Build();

    /// <summary>The kernels of <paramref name="type"/>; throws <see cref="NotSupportedException"/> for a type without them.</summary>
    public static QuantFormat Get(GgmlType type) =>
        TryGet(type, out QuantFormat? format) ? format : throw Unsupported(type);

    /// <summary>The kernels of <paramref name="type"/>, when it has them.</summary>
    public static bool TryGet(GgmlType type, [MaybeNullWhen(false)] out QuantFormat format)
    {
        format = (uint)type < (uint)ByType.Length ? ByType[(int)type] : null;
        return format is not null;
    }

    /// <summary>Every registered format (for tests and listings).</summary>
    public static IEnumerable<QuantFormat> All => ByType.OfType<QuantFormat>();

    // K-quant formats (Q2_K..Q6_K with Q8_K activations) are added here by their own file, e.g.
    // QuantFormats.KQuants.cs: static partial void AddKQuantFormats(List<QuantFormat> formats) { formats.Add(...); }
    static partial void AddKQuantFormats(List<QuantFormat> formats);

    private static QuantFormat?[] Build()
    {
        var formats = new List<QuantFormat>
        {
            new(GgmlType.F32, GgmlType.F32, F32Row.Dot, F32Row.DotReference, F32Row.Dequantize, F32Row.DequantizeReference,
                F32Row.Quantize, F32Row.Quantize),
            new(GgmlType.F16, GgmlType.F32, F16Row.Dot, F16Row.DotReference, F16Row.Dequantize, F16Row.DequantizeReference,
                F16Row.Quantize, F32Row.Quantize) { Rows = HalfWidthRowsFor<Fp16Float>(), Pairs = F16Pairs() },
            new(GgmlType.BF16, GgmlType.F32, BF16Row.Dot, BF16Row.DotReference, BF16Row.Dequantize, BF16Row.DequantizeReference,
                BF16Row.Quantize, F32Row.Quantize) { Rows = HalfWidthRowsFor<Bf16Float>() },
            new(GgmlType.Q8_0, GgmlType.Q8_0, Q8_0Block.Dot, Q8_0Block.DotReference, Q8_0Block.Dequantize, Q8_0Block.DequantizeReference,
                Q8_0Block.Quantize, Q8_0Block.QuantizeActivations)
            {
                QuantizeWeighted = Q8_0Block.QuantizeWeighted,
                Tile = TileFor<Q8_0Block.Kernel, Q8_0Block.Kernel>(),
                Rows = RowsFor<Q8_0Block.Kernel, Q8_0Block.Kernel>(),
                Pairs = Q8_0Pairs(),
            },
            new(GgmlType.Q4_0, GgmlType.Q8_0, Q4_0Dot(), Q4_0Block.DotReference, Q4_0Block.Dequantize, Q4_0Block.DequantizeReference,
                Q4_0Block.QuantizeReference, Q8_0Block.QuantizeActivations)
            {
                QuantizeWeighted = Q4_0Block.QuantizeWeighted,
                Tile = Q4_0Tile(),
                Rows = Q4_0Rows(),
                Pairs = Q4_0Pairs(),
            },
            new(GgmlType.Q4_1, GgmlType.Q8_1, Q4_1Block.Dot, Q4_1Block.DotReference, Q4_1Block.Dequantize, Q4_1Block.DequantizeReference,
                Q4_1Block.QuantizeReference, Q8_1Block.QuantizeActivations)
            {
                QuantizeWeighted = Q4_1Block.QuantizeWeighted,
                Tile = TileFor<Q4_1Block.Kernel, Q8_1Block.Kernel>(),
                Rows = RowsFor<Q4_1Block.Kernel, Q8_1Block.Kernel>(),
            },
            new(GgmlType.Q5_0, GgmlType.Q8_0, Q5_0Block.Dot, Q5_0Block.DotReference, Q5_0Block.Dequantize, Q5_0Block.DequantizeReference,
                Q5_0Block.QuantizeReference, Q8_0Block.QuantizeActivations)
            {
                QuantizeWeighted = Q5_0Block.QuantizeWeighted,
                Tile = TileFor<Q5_0Block.Kernel, Q8_0Block.Kernel>(),
                Rows = RowsFor<Q5_0Block.Kernel, Q8_0Block.Kernel>(),
            },
            new(GgmlType.Q5_1, GgmlType.Q8_1, Q5_1Block.Dot, Q5_1Block.DotReference, Q5_1Block.Dequantize, Q5_1Block.DequantizeReference,
                Q5_1Block.QuantizeReference, Q8_1Block.QuantizeActivations)
            {
                QuantizeWeighted = Q5_1Block.QuantizeWeighted,
                Tile = TileFor<Q5_1Block.Kernel, Q8_1Block.Kernel>(),
                Rows = RowsFor<Q5_1Block.Kernel, Q8_1Block.Kernel>(),
            },
        };
        AddKQuantFormats(formats);

        var byType = new QuantFormat?[formats.Max(f => (int)f.Type) + 1];
        foreach (QuantFormat format in formats)
        {
            byType[(int)format.Type] = format;
        }

        return byType;
    }

    private static unsafe TileDot? TileFor<TWeight, TActivation>()
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock =>
        BlockTileDot.IsSupported ? BlockTileDot.Run<TWeight, TActivation> : null;

    private static unsafe RowsDot? HalfWidthRowsFor<TFloat>()
        where TFloat : struct, IHalfWidthFloat =>
        HalfWidthRows<TFloat>.IsSupported ? HalfWidthRows<TFloat>.Run : Avx2IsTheLevel ? HalfWidthTileAvx2.Rows<TFloat> : null;

    // F16 decoding over activations pre-scaled once per token (F16Decode) where AVX2 is the widest level and on AMD's
    // AVX-512; batches keep HalfWidthTile.
    private static unsafe PairTile? F16Pairs() =>
        F16Decode.Avx512IsSupported ? new PairTile(F16Decode.PairBlockBytes, F16Decode.Pack, Run: null, F16Decode.RowsAvx512)
        : Avx2IsTheLevel ? new PairTile(F16Decode.PairBlockBytes, F16Decode.Pack, Run: null, F16Decode.Rows) : null;

    // Q4_0 with AVX2 or AVX-512: llama.cpp's repacked order (Q4_0Avx2, and the AVX-512 pair tile) for the row dot, the tiles and
    // decoding alike.
    private static bool Q4_0Repacked => SimdCapability.Best >= SimdWidth.Vector256 && Q4_0Avx2.IsSupported;

    private static RowDot Q4_0Dot() => Q4_0Repacked ? Q4_0Avx2.Dot : Q4_0Block.Dot;

    private static unsafe TileDot? Q4_0Tile() => Q4_0Repacked ? Q4_0Avx2.Tile : TileFor<Q4_0Block.Kernel, Q8_0Block.Kernel>();

    private static unsafe RowsDot? Q4_0Rows() =>
        !Q4_0Repacked ? RowsFor<Q4_0Block.Kernel, Q8_0Block.Kernel>()
        : SimdCapability.Best == SimdWidth.Vector512 && Q4_0RowsAvx512.IsSupported ? Q4_0RowsAvx512.Run : Q4_0Avx2.Rows;

    private static unsafe PairTile? Q4_0Pairs() =>
        Q4_0TileAvx512.IsSupported ? new PairTile(Q4_0TileAvx512.PairBlockBytes, Q4_0TileAvx512.Pack, Q4_0TileAvx512.Run, Rows: null) : null;

    // Q8_0 where AVX2 is the widest level: 4×2 pair tiles (Q8_0TileAvx2) for batches, BlockTileDot's four-row kernel for decoding.
    private static unsafe PairTile? Q8_0Pairs() =>
        Q8_0TileAvx512.IsSupported ? new PairTile(Q8_0TileAvx512.PairBlockBytes, Q8_0TileAvx512.Pack, Q8_0TileAvx512.Run, Q8_0TileAvx512.Rows)
        : Avx2IsTheLevel && Q8_0TileAvx2.IsSupported ? new PairTile(Q8_0TileAvx2.PairBlockBytes, Q8_0TileAvx2.Pack, Q8_0TileAvx2.Run, Rows: null)
        : null;

    private static unsafe RowsDot? RowsFor<TWeight, TActivation>()
        where TWeight : struct, IQuantBlock
        where TActivation : struct, IActivationBlock =>
        BlockTileDot.IsSupported ? BlockTileDot.RunRows<TWeight, TActivation> : null;

    private static NotSupportedException Unsupported(GgmlType type) =>
        new($"ggml tensor type: expected one of {string.Join(", ", All.Select(f => f.Type))}, found {type}, in QuantFormats.Get");
}
