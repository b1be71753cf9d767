// The SwiGLU gate of Llama's feed-forward block: silu(gate) * up; forward only for now.
using System.Numerics.Tensors;

namespace Quill.Tensors.Kernels;

/// <summary>gate[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x).</summary>
public static class SwiGlu
{
    public static void Reference(Span<float> gate, ReadOnlySpan<float> up)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1.0f + MathF.Exp(-g)) * up[i];
        }
    }

    /// <summary>Vectorised through TensorPrimitives' exp; within a few ulp of <see cref="Reference"/>.</summary>
    public static void Forward(Span<float> gate, ReadOnlySpan<float> up)
    {
        // silu(g) = g * sigmoid(g)
        Span<float> chunk = stackalloc float[256];
        for (int i = 0; i < gate.Length; i += chunk.Length)
        {
            int n = Math.Min(chunk.Length, gate.Length - i);
            var g = gate.Slice(i, n);
            var s = chunk[..n];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, g);
            TensorPrimitives.Multiply(g, up.Slice(i, n), g);
        }
    }
}
