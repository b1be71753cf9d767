// The per-block operations a 32-element quant format supplies to the shared SIMD loops.
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Quantization;

/// <summary>
/// A 32-element weight block: element i is <c>Quants[i] * Scale + Min</c>. Implemented by small structs so the
/// generic loops in <see cref="BlockDot"/> and <see cref="BlockDequantize"/> specialise per format.
/// </summary>
internal unsafe interface IQuantBlock
{
    /// <summary>Bytes per block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>True when the block stores a minimum (Q4_1, Q5_1); the dot then adds Min * activation sum.</summary>
    static abstract bool HasMin { get; }

    /// <summary>True when every quant is non-negative, so AVX2 may multiply it as an unsigned byte.</summary>
    static abstract bool QuantsAreUnsigned { get; }

    /// <summary>The block's scale d.</summary>
    static abstract float Scale(byte* block);

    /// <summary>The block's minimum m (0 when <see cref="HasMin"/> is false).</summary>
    static abstract float Min(byte* block);

    /// <summary>Offset of the fp16 d within the block.</summary>
    static abstract int ScaleOffset { get; }

    /// <summary>Offset of the fp16 m within the block (only read when <see cref="HasMin"/>).</summary>
    static abstract int MinOffset { get; }

    /// <summary>Quants of elements 0..15 as the integers the dot multiplies (e.g. q - 8 for Q4_0).</summary>
    static abstract Vector128<sbyte> QuantsLow(byte* block);

    /// <summary>Quants of elements 16..31.</summary>
    static abstract Vector128<sbyte> QuantsHigh(byte* block);

    /// <summary>Quant of element <paramref name="j"/> (0..31), scalar, for the reference loops.</summary>
    static abstract int Quant(byte* block, int j);

    /// <summary>All 32 quants in element order (only called on the 256- and 512-bit paths).</summary>
    static abstract Vector256<sbyte> Quants(byte* block);
}

/// <summary>A 32-element activation block of int8 quants with a scale (Q8_0) and optionally a stored sum (Q8_1).</summary>
internal unsafe interface IActivationBlock
{
    /// <summary>Bytes per block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>Offset of the 32 int8 quants within the block.</summary>
    static abstract int QuantsOffset { get; }

    /// <summary>The block's scale d.</summary>
    static abstract float Scale(byte* block);

    /// <summary>The stored d * sum(quants) (Q8_1's s), multiplied by a weight block's minimum.</summary>
    static abstract float Sum(byte* block);

    /// <summary>Offset of the fp16 d within the block.</summary>
    static abstract int ScaleOffset { get; }

    /// <summary>Offset of the fp16 s within the block (only read for weights with a minimum).</summary>
    static abstract int SumOffset { get; }
}
