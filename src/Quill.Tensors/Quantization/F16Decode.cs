// F16 decoding over activations packed once per token as x·2^112 beside x, so each weight widens in three instructions:
// HalfWidthTileAvx2.FourRows on AVX2 (against four), RowsAvx512 on AMD's AVX-512 (against eleven).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// The decode-only <see cref="PairTile"/> of F16: <see cref="Pack"/> writes a token's F32 activations twice, times 2^112
/// and as they are; <see cref="Rows"/> (AVX2) and <see cref="RowsAvx512"/> dot four rows with the first copy through
/// Fp16Bits.WidenScaledDown (no multiply per weight vector) and keep the second for their scalar tail and their exact
/// fallback. Every output is bit for bit the row dot of that width: an FMA over w·2^-112 and x·2^112 rounds w·x + acc
/// exactly as one over w and x, and an activation of 2^16 or more, whose scaled copy overflows, makes the sum infinite
/// or NaN and so sends the group down the exact path.
/// </summary>
internal static unsafe class F16Decode
{
    /// <summary>Bytes per element (block) of a packed token: the scaled and the exact float.</summary>
    public const int PairBlockBytes = 2 * sizeof(float);

    /// <summary>
    /// <see cref="ActivationPack"/>: for each of <paramref name="pairs"/> tokens (each a pair with itself; rows
    /// 2p·<paramref name="rowBytes"/> apart), its <paramref name="blocks"/> floats times 2^112, then the floats themselves.
    /// </summary>
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed)
    {
        for (int p = 0; p < pairs; p++)
        {
            float* x = (float*)(rows + 2 * p * rowBytes);
            float* scaled = (float*)(packed + (nint)p * blocks * PairBlockBytes), exact = scaled + blocks;
            int i = 0;
            for (; i + 8 <= blocks; i += 8)
            {
                Vector256<float> v = Vector256.Load(x + i);
                (v * Fp16Bits.ScaleUp).Store(scaled + i);
                v.Store(exact + i);
            }
            for (; i < blocks; i++)
            {
                scaled[i] = x[i] * Fp16Bits.ScaleUp;
                exact[i] = x[i];
            }
        }
    }

    /// <summary><see cref="RowsDot"/> over one token packed by <see cref="Pack"/> with AVX2, row-major rows only (half-width rows are
    /// interleaved only where the 512-bit kernels run: <see cref="WeightMatrix.CanInterleave"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        float* scaled = (float*)activations;
        HalfWidthTileAvx2.FourRows<Fp16Float, ScaledDownWidening>(weights, rowStride, scaled, scaled + blocks, blocks, output);
    }

    /// <summary>
    /// Whether <see cref="RowsAvx512"/> decodes F16 here: where the row dot runs at 512 bits, on AMD only. An F16
    /// subnormal weight becomes an F32 subnormal FMA operand, free on Zen 5 (the kernel streamed 75 GB/s from cache with
    /// weights of 10^-4, most of them subnormal, as with weights of 0.05), while Intel cores take a microcode assist on
    /// subnormal multiply operands.
    /// </summary>
    public static bool Avx512IsSupported => HalfWidthRows<Fp16Float>.IsSupported && CpuVendor.IsAmd;

    /// <summary>
    /// <see cref="RowsDot"/> over one token packed by <see cref="Pack"/> with AVX-512: <see cref="HalfWidthRows{TFloat}"/>'s
    /// accumulators, order, tail and reduction over weights widened in three instructions instead of eleven (TinyLlama
    /// F16's layer rows streamed at 75.6 against 28.2 GB/s from cache on Zen 5, 21.9 against 18.8 from memory). An F16
    /// infinity or NaN, which this widening does not convert, is caught in the same pass, as is a sum that came out
    /// infinite or NaN; either sends the four rows through <see cref="HalfWidthRows{TFloat}.Run"/> over the exact copy.
    /// Either layout, as <see cref="HalfWidthRows{TFloat}.Run"/> takes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsAvx512(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        float* scaled = (float*)activations;
        HalfWidthRows<Fp16Float>.FourRows<ScaledDownWidening512>(weights, rowStride, blockStride, scaled, scaled + blocks, blocks, output);
    }

    private readonly struct ScaledDownWidening : IAvx2Widening
    {
        public static Vector256<float> Widen(Vector128<ushort> bits) => Fp16Bits.WidenScaledDown(bits);
    }

    private readonly struct ScaledDownWidening512 : IAvx512Widening
    {
        public static Vector512<float> Widen(Vector256<ushort> bits) => Fp16Bits.WidenScaledDown(bits);

        public static bool WidensEveryValue => false;
    }
}
