// The scalar meaning of the Q8_0 pair tiles (Q8_0TileAvx512, Q8_0TileAvx2): ggml's x86 Q8_0 dot over activations packed in token pairs.
namespace Quill.Tensors.Quantization;

/// <summary>
/// out[t·outStride + r] = the x86-order Q8_0 dot of weight row r with token t, read from a pair packing that holds per
/// pair and block the two tokens' 32 quants at bytes 0 and 32 and their float scales at scalesAt and scalesAt +
/// 4·scaleStride: eight lanes of four exact products, an FMA per block with d_w·d_a, ggml's horizontal sum.
/// </summary>
internal static unsafe class Q8_0PairReference
{
    public static void Run(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
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
