// Synthetic base models and random LoRA adapter files for the engine, llama.cpp and CLI LoRA tests; not tests themselves.
using Quill.Models;
using Quill.Models.Llama;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Tests.Models;

namespace Quill.Tests.Lora;

internal static class LoraTestFiles
{
    public static readonly string[] AllProjections = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];

    /// <summary>C 64, 2 layers, 4 heads (2 KV), F 96, V 300, context 128.</summary>
    public static SyntheticModelOptions BaseOptions(GgmlType type = GgmlType.F32) =>
        new() { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 300, ContextLength = 128, Type = type, Seed = 21 };

    public static string Base(GgmlType type = GgmlType.F32) => SyntheticModels.Get(BaseOptions(type));

    /// <summary>Random A and B (uniform ±0.15) for <paramref name="projections"/> of every layer of <paramref name="o"/>.</summary>
    public static LoraAdapterWeights Random(SyntheticModelOptions o, int rank = 4, float alpha = 8f, ulong seed = 3, string[]? projections = null)
    {
        var rng = new SplitMix64(seed);
        int kvDim = o.Dim / o.Heads * o.KvHeads;
        var weights = new List<LoraWeight>();
        for (int l = 0; l < o.Layers; l++)
        {
            foreach (string p in projections ?? AllProjections)
            {
                var (inF, outF) = p switch
                {
                    "attn_k" or "attn_v" => (o.Dim, kvDim),
                    "ffn_gate" or "ffn_up" => (o.Dim, o.FeedForwardDim),
                    "ffn_down" => (o.FeedForwardDim, o.Dim),
                    _ => (o.Dim, o.Dim),
                };
                float[] Fill(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 0.15f)];
                weights.Add(new LoraWeight($"blk.{l}.{p}.weight", rank, alpha, inF, outF, Fill(rank * inF), Fill(outF * rank)));
            }
        }
        return new LoraAdapterWeights(o.Architecture, alpha, weights);
    }

    public static string Write(string folder, LoraAdapterWeights adapter, string name = "adapter.gguf")
    {
        string path = Path.Combine(folder, name);
        LoraAdapterGguf.Write(adapter, path);
        return path;
    }

    /// <summary>Logits (T, V) of <paramref name="tokens"/> through Quill's single-sequence state.</summary>
    public static float[] Logits(string model, int[] tokens, params LoraAdapterOption[] adapters)
    {
        using var lm = LanguageModel.Load(model, new LoadOptions { Threads = 2, LoraAdapters = adapters, KvCacheType = KvCacheType.F32 });
        using var state = lm.Model.CreateState(tokens.Length + 1);
        var logits = new float[tokens.Length * lm.Model.VocabSize];
        state.AppendAll(tokens, logits);
        return logits;
    }

    public static float MaxAbs(ReadOnlySpan<float> a) { float m = 0; foreach (var x in a) m = Math.Max(m, Math.Abs(x)); return m; }

    public static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
