// What ggml's Q4_K and Q5_K quantizers share: the per-32 scale and min search, the 12-byte 6-bit packing and the
// requantization of every weight against the stored values; each format packs its own levels.
namespace Quill.Tensors.Quantization;

/// <summary>
/// The common body of quantize_row_q4_K_ref / quantize_row_q5_K_ref and of their importance-weighted twins
/// (quantize_row_q4_K_impl / quantize_row_q5_K_impl), for one 256-weight block: writes d, dmin and the 12 scale bytes
/// (<c>half d; half dmin; byte scales[12]</c>, the first 16 bytes of both formats) and leaves the 256 levels in [0, nmax]
/// for the caller to pack. Float order as ggml's; see <see cref="ScaleSearch"/>.
/// </summary>
internal static class ScaleMinQuantizer
{
    public const int HeaderBytes = 16;
    private const int BlockSize = KQuant.BlockSize, ScalesOffset = 4;

    /// <summary>
    /// The reference path: sub-block weights sqrt(mean x²) + |x|, make_qkx2_quants with the format's trial scales
    /// (<paramref name="rmin"/>, <paramref name="rdelta"/>, <paramref name="nstep"/>), scales and mins quantized to 6 bits
    /// against the largest of each.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<byte> header, Span<byte> levels, int nmax, float rmin, float rdelta, int nstep)
    {
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l)
            {
                sumX2 += xs[l] * xs[l];
            }
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l)
            {
                weights[l] = avX + MathF.Abs(xs[l]);
            }
            scales[j] = ScaleSearch.MakeQkx2(32, nmax, xs, weights, levels.Slice(32 * j, 32), out mins[j], scratch, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale)
            {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin)
            {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        Span<byte> packed = header.Slice(ScalesOffset, 12);
        for (int j = 0; j < 8; ++j)
        {
            byte ls = (byte)Q8KBlock.NearestInt(invScale * scales[j]);
            byte lm = (byte)Q8KBlock.NearestInt(invMin * mins[j]);
            PackScaleMin(packed, j, Math.Min((byte)63, ls), Math.Min((byte)63, lm));
        }
        Fp16Bits.Store(header, 0, maxScale / 63f);
        Fp16Bits.Store(header, 2, maxMin / 63f);
        Requantize(x, header, levels, nmax);
    }

    /// <summary>
    /// The importance-matrix path: sub-block weights importance · sqrt(2σ² + x²) with σ² the block's mean square,
    /// make_qkx3_quants (trial scales −0.9 + 0.05·is, 37 of them), scales and mins quantized by make_qp_quants weighted by
    /// each sub-block's summed weights. <paramref name="clampLevels"/>: Q5_K caps those levels at 63, Q4_K does not.
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> x, Span<byte> header, Span<byte> levels, ReadOnlySpan<float> importance, int nmax,
        bool clampLevels)
    {
        Span<byte> scratch = stackalloc byte[32];
        Span<byte> scaleLevels = stackalloc byte[8];
        Span<byte> minLevels = stackalloc byte[8];
        Span<float> weights = stackalloc float[32];
        Span<float> groupWeights = stackalloc float[8];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        float sumX2 = 0;
        for (int l = 0; l < BlockSize; ++l)
        {
            sumX2 += x[l] * x[l];
        }
        float sigma2 = 2 * sumX2 / BlockSize;
        for (int j = 0; j < 8; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
            ReadOnlySpan<float> qw = importance.Slice(32 * j, 32);
            ScaleSearch.ImportanceWeights(xs, qw, sigma2, weights);
            float sumw = 0;
            for (int l = 0; l < 32; ++l)
            {
                sumw += weights[l];
            }
            groupWeights[j] = sumw;
            scales[j] = ScaleSearch.MakeQkx3(32, nmax, xs, weights, levels.Slice(32 * j, 32), out mins[j], scratch, -0.9f, 0.05f, 36, false);
        }
        float dBlock = ScaleSearch.MakeQp(8, 63, scales, scaleLevels, groupWeights);
        float mBlock = ScaleSearch.MakeQp(8, 63, mins, minLevels, groupWeights);
        Span<byte> packed = header.Slice(ScalesOffset, 12);
        for (int j = 0; j < 8; ++j)
        {
            byte ls = scaleLevels[j], lm = minLevels[j];
            PackScaleMin(packed, j, clampLevels ? Math.Min((byte)63, ls) : ls, clampLevels ? Math.Min((byte)63, lm) : lm);
        }
        Fp16Bits.Store(header, 0, dBlock);
        Fp16Bits.Store(header, 2, mBlock);
        Requantize(x, header, levels, nmax);
    }

    /// <summary>
    /// Scale and min <paramref name="j"/> into the 12 bytes: j &lt; 4 whole in bytes j and j + 4; j ≥ 4 as nibbles in byte
    /// j + 4 with their top two bits in bits 6..7 of bytes j − 4 and j (the inverse of get_scale_min_k4). Writes in j order,
    /// as ggml does: the bytes of j ≥ 4 OR into those of j &lt; 4.
    /// </summary>
    private static void PackScaleMin(Span<byte> packed, int j, byte ls, byte lm)
    {
        if (j < 4)
        {
            packed[j] = ls;
            packed[j + 4] = lm;
        }
        else
        {
            packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
            packed[j - 4] |= (byte)((ls >> 4) << 6);
            packed[j] |= (byte)((lm >> 4) << 6);
        }
    }

    /// <summary>Every level again from the stored fp16 d and dmin and 6-bit scales and mins (sub-blocks whose scale is 0 keep theirs).</summary>
    private static void Requantize(ReadOnlySpan<float> x, ReadOnlySpan<byte> header, Span<byte> levels, int nmax)
    {
        ReadOnlySpan<byte> q = header.Slice(ScalesOffset, 12);
        float dAll = Fp16Bits.Load(header, 0), mAll = Fp16Bits.Load(header, 2);
        for (int j = 0; j < 8; ++j)
        {
            int sc, m;
            if (j < 4)
            {
                sc = q[j] & 63;
                m = q[j + 4] & 63;
            }
            else
            {
                sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
                m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
            }
            float d = dAll * sc;
            if (d == 0)
            {
                continue;
            }
            float dm = mAll * m;
            for (int i = 0; i < 32; ++i)
            {
                int l = Q8KBlock.NearestInt((x[32 * j + i] + dm) / d);
                levels[32 * j + i] = (byte)Math.Max(0, Math.Min(nmax, l));
            }
        }
    }
}
