// What the Q8_0 pair tiles (Q8_0TileAvx512, Q8_0TileAvx2) share: their activation packing in token pairs and its scalar meaning.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Quantization;

/// <summary>
/// A packing that holds per token pair and block the two tokens' 32 quants at bytes 0 and 32 and their float scales at
/// scalesAt, each repeated over scaleStride lanes (the second token's from scalesAt + 4·scaleStride).
/// </summary>
internal static unsafe class Q8_0PairPacking
{
    /// <summary>
    /// Packs tokens 0..2·<paramref name="pairs"/>−1 of Q8_0 rows (<paramref name="rowBytes"/> apart): pair p, block b at
    /// packed + (p·blocks + b)·<paramref name="pairBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed, int pairBlockBytes, int scalesAt, int scaleStride)
    {
        for (int p = 0; p < pairs; p++)
        {
            byte* first = rows + 2 * p * rowBytes, second = first + rowBytes;
            for (int b = 0; b < blocks; b++)
            {
                byte* dst = packed + ((nint)p * blocks + b) * pairBlockBytes;
                byte* a0 = first + b * Q8_0Block.BlockBytes, a1 = second + b * Q8_0Block.BlockBytes;
                Vector256.Load(a0 + 2).Store(dst);
                Vector256.Load(a1 + 2).Store(dst + 32);
                float* scales = (float*)(dst + scalesAt);
                float d0 = Fp16Bits.Load(a0), d1 = Fp16Bits.Load(a1);
                for (int l = 0; l < scaleStride; l++)
                {
                    scales[l] = d0;
                    scales[scaleStride + l] = d1;
                }
            }
        }
    }

    /// <summary>
    /// out[t·outStride + r] = the x86-order Q8_0 dot of weight row r with token t read from the packing: eight lanes of
    /// four exact products, an FMA per block with d_w·d_a, ggml's horizontal sum.
    /// </summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride, int pairBlockBytes, int scalesAt, int scaleStride)
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
                    byte* y = packed + t / 2 * pairStride + b * pairBlockBytes;
                    int h = t % 2;
                    float d = Fp16Bits.Load(x) * ((float*)(y + scalesAt))[scaleStride * h];
                    for (int l = 0; l < 8; l++)
                    {
                        int s = 0;
                        for (int j = 4 * l; j < 4 * l + 4; j++)
                            s += ((sbyte*)x)[2 + j] * ((sbyte*)y)[32 * h + j];
                        acc[l] = MathF.FusedMultiplyAdd(s, d, acc[l]);
                    }
                }

                output[t * outStride + r] = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
            }
        }
    }
}
