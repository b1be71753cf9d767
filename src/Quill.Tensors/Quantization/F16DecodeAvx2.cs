// F16 decoding where AVX2 is the widest level: activations packed once per token as x·2^112 beside x, so each weight
// widens in three instructions instead of four; HalfWidthTileAvx2.FourRows does the arithmetic.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Quantization;

/// <summary>
/// The decode-only <see cref="PairTile"/> of F16 on AVX2: <see cref="Pack"/> writes a token's F32 activations twice,
/// times 2^112 and as they are; <see cref="Rows"/> dots four rows with the first copy through
/// <see cref="Fp16Bits.WidenScaledDown"/> (no multiply per weight vector) and keeps the second for its scalar tail and
/// its exact fallback. Every output is bit for bit the AVX2 row dot: an FMA over w·2^-112 and x·2^112 rounds w·x + acc
/// exactly as one over w and x, and an activation of 2^16 or more, whose scaled copy overflows, makes the sum infinite
/// or NaN and so sends the group down the exact path.
/// </summary>
internal static unsafe class F16DecodeAvx2
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

    /// <summary><see cref="RowsDot"/> over one token packed by <see cref="Pack"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        float* scaled = (float*)activations;
        HalfWidthTileAvx2.FourRows<Fp16Float, ScaledDownWidening>(weights, rowStride, scaled, scaled + blocks, blocks, output);
    }

    private readonly struct ScaledDownWidening : IAvx2Widening
    {
        public static Vector256<float> Widen(Vector128<ushort> bits) => Fp16Bits.WidenScaledDown(bits);
    }
}
