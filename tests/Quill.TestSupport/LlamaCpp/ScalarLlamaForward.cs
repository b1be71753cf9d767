// A plain scalar Llama forward over TinyLlamaFiles' weights, to pin llama.cpp's conventions; slow, test-only, no KV reuse.
namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// The Llama forward written out loop by loop (llama2.c style) with double accumulators: RMSNorm, q/k/v projections,
/// "normal" RoPE on adjacent pairs, grouped-query causal attention (query head h reads key/value head
/// h / (H / Hkv)), SwiGLU feed-forward, final norm and output projection. It recomputes everything per call and exists
/// only to show that the harness, the tiny files and llama.cpp agree on what the weights mean.
/// </summary>
public static class ScalarLlamaForward
{
    /// <summary>
    /// Raw logits (T, V) for <paramref name="ids"/> starting at position 0. <paramref name="observe"/> (weight name, input
    /// vector) sees what each matrix multiplies, token by token, layer by layer (q, k and v each see the same input).
    /// </summary>
    public static float[][] Logits(TinyLlamaOptions options, int[] ids, Action<string, float[]>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ids);
        Dictionary<string, float[]> w = TinyLlamaFiles.Weights(options).ToDictionary(t => t.Name, t => t.Values);
        int c = options.EmbeddingLength, d = options.HeadSize, h = options.HeadCount, hkv = options.HeadCountKv;
        int kvWidth = options.KeyValueLength, f = options.FeedForwardLength, v = TinyLlamaVocabulary.Count, T = ids.Length;

        var x = new float[T][]; // (T, C) residual stream
        for (int t = 0; t < T; t++) x[t] = w["token_embd.weight"].AsSpan(ids[t] * c, c).ToArray();

        for (int b = 0; b < options.BlockCount; b++)
        {
            string p = $"blk.{b}.";
            var keys = new float[T][];   // (T, Hkv*D)
            var values = new float[T][]; // (T, Hkv*D)
            var queries = new float[T][]; // (T, H*D)
            for (int t = 0; t < T; t++)
            {
                float[] normed = RmsNorm(x[t], w[p + "attn_norm.weight"], options.RmsEpsilon);
                foreach (string m in new[] { "attn_q", "attn_k", "attn_v" }) observe?.Invoke(p + m + ".weight", normed);
                queries[t] = Rope(MatVec(w[p + "attn_q.weight"], normed, h * d), t, d, options.RopeFrequencyBase);
                keys[t] = Rope(MatVec(w[p + "attn_k.weight"], normed, kvWidth), t, d, options.RopeFrequencyBase);
                values[t] = MatVec(w[p + "attn_v.weight"], normed, kvWidth);
            }
            for (int t = 0; t < T; t++)
            {
                var attended = new float[h * d]; // (H*D)
                for (int head = 0; head < h; head++)
                {
                    int kvHead = head / (h / hkv);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int i = 0; i < d; i++) dot += (double)queries[t][head * d + i] * keys[s][kvHead * d + i];
                        scores[s] = dot / Math.Sqrt(d);
                    }
                    double max = scores.Max(), sum = 0;
                    for (int s = 0; s <= t; s++) sum += scores[s] = Math.Exp(scores[s] - max);
                    for (int i = 0; i < d; i++)
                    {
                        double acc = 0;
                        for (int s = 0; s <= t; s++) acc += scores[s] / sum * values[s][kvHead * d + i];
                        attended[head * d + i] = (float)acc;
                    }
                }
                observe?.Invoke(p + "attn_output.weight", attended);
                Add(x[t], MatVec(w[p + "attn_output.weight"], attended, c));
            }
            for (int t = 0; t < T; t++)
            {
                float[] normed = RmsNorm(x[t], w[p + "ffn_norm.weight"], options.RmsEpsilon);
                observe?.Invoke(p + "ffn_gate.weight", normed);
                observe?.Invoke(p + "ffn_up.weight", normed);
                float[] gate = MatVec(w[p + "ffn_gate.weight"], normed, f);
                float[] up = MatVec(w[p + "ffn_up.weight"], normed, f);
                for (int i = 0; i < f; i++) gate[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
                observe?.Invoke(p + "ffn_down.weight", gate);
                Add(x[t], MatVec(w[p + "ffn_down.weight"], gate, c));
            }
        }

        var logits = new float[T][];
        for (int t = 0; t < T; t++) logits[t] = MatVec(w["output.weight"], RmsNorm(x[t], w["output_norm.weight"], options.RmsEpsilon), v);
        return logits;
    }

    // W is stored [in, out] ne0 first: output o is the dot product of row o (contiguous, length in) with x.
    private static float[] MatVec(float[] weight, float[] input, int outputs)
    {
        var y = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double acc = 0;
            for (int i = 0; i < input.Length; i++) acc += (double)weight[o * input.Length + i] * input[i];
            y[o] = (float)acc;
        }
        return y;
    }

    private static float[] RmsNorm(float[] input, float[] gain, float epsilon)
    {
        double squares = 0;
        foreach (float value in input) squares += (double)value * value;
        double scale = 1 / Math.Sqrt(squares / input.Length + epsilon);
        var y = new float[input.Length];
        for (int i = 0; i < input.Length; i++) y[i] = (float)(input[i] * scale * gain[i]);
        return y;
    }

    // Rotates the adjacent pairs (2i, 2i+1) of each head by position * base^(-2i/D).
    private static float[] Rope(float[] vector, int position, int headSize, float frequencyBase)
    {
        for (int head = 0; head < vector.Length / headSize; head++)
        {
            for (int i = 0; i < headSize / 2; i++)
            {
                double angle = position * Math.Pow(frequencyBase, -2.0 * i / headSize);
                int a = head * headSize + 2 * i;
                double x0 = vector[a], x1 = vector[a + 1];
                vector[a] = (float)(x0 * Math.Cos(angle) - x1 * Math.Sin(angle));
                vector[a + 1] = (float)(x0 * Math.Sin(angle) + x1 * Math.Cos(angle));
            }
        }
        return vector;
    }

    private static void Add(float[] target, float[] addend)
    {
        for (int i = 0; i < target.Length; i++) target[i] += addend[i];
    }
}
