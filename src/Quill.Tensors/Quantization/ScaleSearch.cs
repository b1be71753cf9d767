// ggml's scale searches (make_qx/q3/qkx2/qkx3/qp_quants) and importance weights, operation for operation; no block layouts.
namespace Quill.Tensors.Quantization;

/// <summary>
/// The searches ggml-quants.c runs to pick a group's scale (and minimum) and its integer levels. Each is a transcription
/// of the C function it names: the same float (never double) operations in the same order, products left to right
/// (<c>w*x*l</c> is <c>(w*x)*l</c>), sums in index order, no fused multiply-add (ggml-base is compiled without FMA
/// contraction), ggml's <c>nearest_int</c>, and C's MIN/MAX and strict comparisons for ties. The quantizers' bytes
/// equal ggml's only while all of that holds, so change nothing here without the differential tests.
/// </summary>
internal static class ScaleSearch
{
    /// <summary>ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it quantizes to zero.</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>σ² of the legacy formats' importance-weighted quantizers (quantize_row_q4_0_impl ...): Σx² in order, over the whole row, / n.</summary>
    public static float MeanSquare(ReadOnlySpan<float> row)
    {
        float sumX2 = 0;
        for (int j = 0; j < row.Length; ++j)
        {
            sumX2 += row[j] * row[j];
        }
        return sumX2 / row.Length;
    }

    /// <summary>The weights the importance-matrix quantizers give their searches: importance[j] · sqrt(sigma2 + x[j]²).</summary>
    public static void ImportanceWeights(ReadOnlySpan<float> x, ReadOnlySpan<float> importance, float sigma2, Span<float> weights)
    {
        for (int j = 0; j < x.Length; ++j)
        {
            weights[j] = importance[j] * MathF.Sqrt(sigma2 + x[j] * x[j]);
        }
    }

    /// <summary>
    /// make_qx_quants with rmse_type 1: symmetric levels l in [-nmax, nmax-1] stored as l + nmax, minimizing the
    /// weighted squared error over 19 candidate scales -(nmax + 0.1·is)/max. Weights are <paramref name="weights"/>, or
    /// x² when it is empty (ggml's qw == NULL). Returns the scale.
    /// </summary>
    public static float MakeQx(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels, ReadOnlySpan<float> weights)
    {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        bool squares = weights.IsEmpty;
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Q8KBlock.NearestInt(iscale * x[i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            levels[i] = (sbyte)(l + nmax);
            float w = squares ? x[i] * x[i] : weights[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int step = -9; step <= 9; ++step)
        {
            if (step == 0)
            {
                continue;
            }
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Q8KBlock.NearestInt(iscale * x[i]);
                l = Math.Max(-nmax, Math.Min(nmax - 1, l));
                float w = squares ? x[i] * x[i] : weights[i];
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; ++i)
                {
                    int l = Q8KBlock.NearestInt(iscale * x[i]);
                    levels[i] = (sbyte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /// <summary>
    /// make_q3_quants with do_rmse: symmetric levels as <see cref="MakeQx"/>, weights x², then up to five passes that move
    /// single levels while that lowers the error. Levels are stored as l + nmax; returns the scale.
    /// </summary>
    public static float MakeQ3(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels)
    {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax)
            {
                amax = ax;
                max = x[i];
            }
        }
        if (amax < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Q8KBlock.NearestInt(iscale * x[i]);
            l = Math.Max(-nmax, Math.Min(nmax - 1, l));
            levels[i] = (sbyte)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; ++pass)
        {
            int changed = 0;
            for (int i = 0; i < n; ++i)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * levels[i];
                if (slx > 0)
                {
                    float sl2 = suml2 - w * levels[i] * levels[i];
                    int newL = Q8KBlock.NearestInt(x[i] * sl2 / slx);
                    newL = Math.Max(-nmax, Math.Min(nmax - 1, newL));
                    if (newL != levels[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            levels[i] = (sbyte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++changed;
                        }
                    }
                }
            }
            if (changed == 0)
            {
                break;
            }
        }
        for (int i = 0; i < n; ++i)
        {
            levels[i] = (sbyte)(levels[i] + nmax);
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /// <summary>
    /// make_qkx2_quants: levels in [0, nmax] for x ≈ scale·l − theMin (min clamped to at most 0), trying nstep+1 scales
    /// (rmin + rdelta·is + nmax)/(max − min) and keeping the weighted least-squares fit of lowest weighted error (absolute
    /// when <paramref name="useMad"/>, else squared). Returns the scale; <paramref name="theMin"/> is −min.
    /// </summary>
    public static float MakeQkx2(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels, out float theMin,
        Span<byte> scratch, float rmin, float rdelta, int nstep, bool useMad) =>
        MakeQkx(qkx3: false, n, nmax, x, weights, levels, out theMin, scratch, rmin, rdelta, nstep, useMad);

    /// <summary>
    /// make_qkx3_quants with weights (the importance-matrix searches): <see cref="MakeQkx2"/> except that a group with
    /// max ≤ min is all zero, and each candidate level is nearest_int(min(v, nmax)) for v = iscale·(x − min) above 0, else 0,
    /// where min is the best fit so far.
    /// </summary>
    public static float MakeQkx3(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels, out float theMin,
        Span<byte> scratch, float rmin, float rdelta, int nstep, bool useMad) =>
        MakeQkx(qkx3: true, n, nmax, x, weights, levels, out theMin, scratch, rmin, rdelta, nstep, useMad);

    /// <summary>
    /// The body ggml's make_qkx2_quants and make_qkx3_quants share; <paramref name="qkx3"/> picks the two places they
    /// differ (the all-equal test, and how a trial level is rounded and clamped).
    /// </summary>
    private static float MakeQkx(bool qkx3, int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels,
        out float theMin, Span<byte> scratch, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0];
        float max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; ++i)
        {
            if (x[i] < min)
            {
                min = x[i];
            }
            if (x[i] > max)
            {
                max = x[i];
            }
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0)
        {
            min = 0;
        }
        if (qkx3 ? max <= min : max == min)
        {
            levels[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Q8KBlock.NearestInt(iscale * (x[i] - min));
            levels[i] = (byte)Math.Max(0, Math.Min(nmax, l));
            float diff = scale * levels[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        for (int step = 0; step <= nstep; ++step)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; ++i)
            {
                int l;
                if (qkx3)
                {
                    float v = iscale * (x[i] - min);
                    l = v > 0 ? Q8KBlock.NearestInt(v < nmax ? v : nmax) : 0;
                }
                else
                {
                    l = Math.Max(0, Math.Min(nmax, Q8KBlock.NearestInt(iscale * (x[i] - min))));
                }
                scratch[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[i];
            }
            float determinant = sumW * sumL2 - sumL * sumL;
            if (determinant > 0)
            {
                float thisScale = (sumW * sumXl - sumX * sumL) / determinant;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / determinant;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; ++i)
                {
                    float diff = thisScale * scratch[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError)
                {
                    scratch[..n].CopyTo(levels);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>
    /// make_qp_quants: non-negative levels l ≤ nmax (stored as bytes, as ggml's uint8_t L) for x ≈ scale·l, the scale
    /// chosen among nmax/max and eight neighbours by weighted squared error, then refined by up to five passes of single
    /// level moves. Quantizes the sub-block scales and mins of the importance-weighted K-quants. Returns the scale.
    /// </summary>
    public static float MakeQp(int n, int nmax, ReadOnlySpan<float> x, Span<byte> levels, ReadOnlySpan<float> weights)
    {
        float max = 0;
        for (int i = 0; i < n; ++i)
        {
            max = max > x[i] ? max : x[i];
        }
        if (max < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i)
        {
            levels[i] = (byte)Q8KBlock.NearestInt(iscale * x[i]);
        }
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i)
        {
            float diff = x[i] - scale * levels[i];
            bestMse += weights[i] * diff * diff;
        }
        for (int step = -4; step <= 4; ++step)
        {
            if (step == 0)
            {
                continue;
            }
            float iscaleStep = (0.1f * step + nmax) / max;
            float scaleStep = 1 / iscaleStep;
            float mse = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Math.Min(nmax, Q8KBlock.NearestInt(iscaleStep * x[i]));
                float diff = x[i] - scaleStep * l;
                mse += weights[i] * diff * diff;
            }
            if (mse < bestMse)
            {
                bestMse = mse;
                iscale = iscaleStep;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Math.Min(nmax, Q8KBlock.NearestInt(iscale * x[i]));
            levels[i] = (byte)l;
            float w = weights[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int pass = 0; pass < 5; ++pass)
        {
            int changed = 0;
            for (int i = 0; i < n; ++i)
            {
                float w = weights[i];
                float slx = sumlx - w * x[i] * levels[i];
                float sl2 = suml2 - w * levels[i] * levels[i];
                if (slx > 0 && sl2 > 0)
                {
                    int newL = Math.Min(nmax, Q8KBlock.NearestInt(x[i] * sl2 / slx));
                    if (newL != levels[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            levels[i] = (byte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++changed;
                        }
                    }
                }
            }
            if (changed == 0)
            {
                break;
            }
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
}
