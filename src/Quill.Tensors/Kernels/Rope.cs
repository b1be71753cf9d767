// Rotary position embedding (RoPE) in ggml's two layouts; frequencies computed as ggml_rope_cache_init does.
namespace Quill.Tensors.Kernels;

/// <summary>Which channel pairs rotate together.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (x[2i], x[2i+1]): LLAMA_ROPE_TYPE_NORM (Llama, Mistral).</summary>
    Normal,

    /// <summary>Halves (x[i], x[i + D/2]): LLAMA_ROPE_TYPE_NEOX (Qwen2, GPT-NeoX).</summary>
    NeoX,
}

/// <summary>
/// Rotates the first <see cref="RotaryDims"/> channels of each head of D channels by angle
/// pos·freqScale·base^(-2i/rotaryDims). The angle for pair i is built by repeated float multiplication, exactly as ggml
/// does, so results match llama.cpp to the last bit of the angle.
/// </summary>
public sealed class Rope
{
    public Rope(RopeLayout layout, int headSize, int rotaryDims, float freqBase, float freqScale)
    {
        Layout = layout;
        HeadSize = headSize;
        RotaryDims = rotaryDims;
        FreqBase = freqBase;
        FreqScale = freqScale;
        ThetaScale = MathF.Pow(freqBase, -2.0f / rotaryDims);
    }

    public RopeLayout Layout { get; }
    public int HeadSize { get; }
    public int RotaryDims { get; }
    public float FreqBase { get; }
    public float FreqScale { get; }
    private float ThetaScale { get; }

    /// <summary>Fills <paramref name="cosSin"/> (RotaryDims) with interleaved cos/sin for one position.</summary>
    public void Angles(int position, Span<float> cosSin)
    {
        float theta = position;
        for (int i0 = 0; i0 < RotaryDims; i0 += 2)
        {
            float t = FreqScale * theta;
            cosSin[i0] = MathF.Cos(t);
            cosSin[i0 + 1] = MathF.Sin(t);
            theta *= ThetaScale;
        }
    }

    /// <summary>Rotates <paramref name="heads"/> (H, D) in place with the angles of one position.</summary>
    public void Apply(Span<float> heads, ReadOnlySpan<float> cosSin)
    {
        int d = HeadSize;
        int half = RotaryDims / 2;
        for (int h = 0; h < heads.Length / d; h++)
        {
            var x = heads.Slice(h * d, d);
            if (Layout == RopeLayout.Normal)
            {
                for (int i0 = 0; i0 < RotaryDims; i0 += 2)
                {
                    float c = cosSin[i0], s = cosSin[i0 + 1];
                    float x0 = x[i0], x1 = x[i0 + 1];
                    x[i0] = MathF.FusedMultiplyAdd(x0, c, -(x1 * s));
                    x[i0 + 1] = MathF.FusedMultiplyAdd(x0, s, x1 * c);
                }
            }
            else
            {
                for (int i = 0; i < half; i++)
                {
                    float c = cosSin[2 * i], s = cosSin[2 * i + 1];
                    float x0 = x[i], x1 = x[i + half];
                    x[i] = MathF.FusedMultiplyAdd(x0, c, -(x1 * s));
                    x[i + half] = MathF.FusedMultiplyAdd(x0, s, x1 * c);
                }
            }
        }
    }
}
