// The SwiGLU gate of Llama's feed-forward block, silu(gate) * up, in ggml-cpu's x86 order; forward only (training has its own rows).
using System.Runtime.Intrinsics;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Kernels;

/// <summary>
/// gate[i] = silu(gate[i]) · up[i] with silu(x) = x / (1 + e^(0 − x)), as ggml_vec_swiglu_f32: whole vectors through
/// ggml_v_silu (<see cref="GgmlExp"/>'s form for the width: 16 lanes with AVX-512, 8 with AVX2), the rest one at a time
/// with the C library's expf (MathF.Exp). Bit for bit llama.cpp's x86 build of the same width, so the down projection's
/// activation quant rounds the same values.
/// </summary>
public static class SwiGlu
{
    /// <summary>Scalar <see cref="Forward(Span{float}, ReadOnlySpan{float})"/> at this machine's width.</summary>
    public static void Reference(Span<float> gate, ReadOnlySpan<float> up) => Reference(gate, up, SimdCapability.Best);

    internal static void Reference(Span<float> gate, ReadOnlySpan<float> up, SimdWidth width)
    {
        RowLength.Expect(up.Length, gate.Length, "SwiGLU", nameof(up));
        int lanes = Lanes(width), vectorized = gate.Length / Math.Max(lanes, 1) * lanes;
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            float e = i >= vectorized ? MathF.Exp(-g) : lanes == 16 ? GgmlExp.ExpAvx512Form(0f - g) : GgmlExp.ExpAvx2Form(0f - g);
            gate[i] = g / (1.0f + e) * up[i];
        }
    }

    /// <summary>gate[i] = silu(gate[i]) · up[i]; <paramref name="up"/> as long as <paramref name="gate"/>.</summary>
    public static void Forward(Span<float> gate, ReadOnlySpan<float> up) => Forward(gate, up, SimdCapability.Best);

    internal static unsafe void Forward(Span<float> gate, ReadOnlySpan<float> up, SimdWidth width)
    {
        RowLength.Expect(up.Length, gate.Length, "SwiGLU", nameof(up));
        int i = 0, n = gate.Length;
        fixed (float* g = gate)
        fixed (float* u = up)
        {
            if (width == SimdWidth.Vector512)
            {
                for (; i + 16 <= n; i += 16)
                {
                    Vector512<float> x = Vector512.Load(g + i);
                    (x / (Vector512<float>.One + GgmlExp.Exp(Vector512<float>.Zero - x)) * Vector512.Load(u + i)).Store(g + i);
                }
            }
            else if (width == SimdWidth.Vector256)
            {
                for (; i + 8 <= n; i += 8)
                {
                    Vector256<float> x = Vector256.Load(g + i);
                    (x / (Vector256<float>.One + GgmlExp.Exp(Vector256<float>.Zero - x)) * Vector256.Load(u + i)).Store(g + i);
                }
            }
            for (; i < n; i++) g[i] = g[i] / (1.0f + MathF.Exp(-g[i])) * u[i];
        }
    }

    private static int Lanes(SimdWidth width) => width switch { SimdWidth.Vector512 => 16, SimdWidth.Vector256 => 8, _ => 0 };
}
