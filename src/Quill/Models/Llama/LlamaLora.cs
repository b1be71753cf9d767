// LoRA adapters bound to one Llama model's projections at load, applied by LlamaForward; not the file format (LoraAdapterGguf).
using Quill.Formats;

namespace Quill.Models.Llama;

/// <summary>The seven projections of a Llama block that a LoRA may adapt, in the order LlamaForward runs them.</summary>
internal enum LoraProjection { Query, Key, Value, Output, Gate, Up, Down }

/// <summary>
/// Per layer and projection, the terms (A (rank, In), Bᵀ (rank, Out), s = user scale · alpha/rank) of every adapter
/// that touches it; base weights stay untouched (quantized or not) and the low-rank path runs in F32.
/// </summary>
internal sealed class LlamaLora
{
    private readonly Term[][][] _terms; // [layer][projection][adapter]

    private LlamaLora(Term[][][] terms, int maxRank)
    {
        _terms = terms;
        MaxRank = maxRank;
    }

    public int MaxRank { get; }

    /// <summary>
    /// Checks each adapter against the model (architecture, target names, In and Out) and binds it; throws a one-line
    /// <see cref="ModelFormatException"/> naming the adapter file on any mismatch. Null when there are no adapters.
    /// </summary>
    public static LlamaLora? Bind(LlamaConfig c, IReadOnlyList<(string File, LoraAdapterWeights Adapter, float Scale)> adapters)
    {
        if (adapters.Count == 0) return null;
        var shapes = new Dictionary<string, (int Layer, LoraProjection Projection, int In, int Out)>();
        for (int l = 0; l < c.Layers; l++)
        {
            shapes[TensorNames.AttentionQuery(l)] = (l, LoraProjection.Query, c.Dim, c.QueryDim);
            shapes[TensorNames.AttentionKey(l)] = (l, LoraProjection.Key, c.Dim, c.KvDim);
            shapes[TensorNames.AttentionValue(l)] = (l, LoraProjection.Value, c.Dim, c.KvDim);
            shapes[TensorNames.AttentionOutput(l)] = (l, LoraProjection.Output, c.QueryDim, c.Dim);
            shapes[TensorNames.FeedForwardGate(l)] = (l, LoraProjection.Gate, c.Dim, c.FeedForwardDim);
            shapes[TensorNames.FeedForwardUp(l)] = (l, LoraProjection.Up, c.Dim, c.FeedForwardDim);
            shapes[TensorNames.FeedForwardDown(l)] = (l, LoraProjection.Down, c.FeedForwardDim, c.Dim);
        }
        var lists = new List<Term>[c.Layers, 7];
        int maxRank = 0;
        foreach (var (file, adapter, scale) in adapters)
        {
            string name = System.IO.Path.GetFileName(file);
            if (adapter.Architecture != c.Architecture)
                throw Mismatch(name, $"an adapter for a '{c.Architecture}' model", $"'{adapter.Architecture}'", "general.architecture");
            foreach (var w in adapter.Weights)
            {
                if (!shapes.TryGetValue(w.Target, out var s))
                    throw Mismatch(name, $"a weight of this {c.Layers}-layer model", $"'{w.Target}'", "the tensor list");
                if (w.InFeatures != s.In || w.OutFeatures != s.Out)
                    throw Mismatch(name, $"In {s.In}, Out {s.Out} as the model's '{w.Target}'", $"In {w.InFeatures}, Out {w.OutFeatures}",
                        $"'{w.Target}.lora_a/b'");
                (lists[s.Layer, (int)s.Projection] ??= []).Add(new Term(w.Rank, w.A, Transpose(w.B, w.OutFeatures, w.Rank), scale * w.Scale));
                maxRank = Math.Max(maxRank, w.Rank);
            }
        }
        var terms = new Term[c.Layers][][];
        for (int l = 0; l < c.Layers; l++)
        {
            terms[l] = new Term[7][];
            for (int p = 0; p < 7; p++) terms[l][p] = lists[l, p]?.ToArray() ?? [];
        }
        return new LlamaLora(terms, maxRank);
    }

    /// <summary>y (rows, Out) += every bound term's s·B·A·x for x (rows, In); hidden holds at least <see cref="MaxRank"/>.</summary>
    public void Add(int layer, LoraProjection projection, ReadOnlySpan<float> x, Span<float> y, Span<float> hidden)
    {
        foreach (var term in _terms[layer][(int)projection])
            LoraDelta.Add(x, term.A, term.BTransposed, term.Rank, term.Scale, y, hidden);
    }

    private static float[] Transpose(float[] b, int rows, int columns)
    {
        var t = new float[b.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) t[j * rows + i] = b[i * columns + j];
        return t;
    }

    private static ModelFormatException Mismatch(string file, string expected, string found, string where) =>
        new($"{file}: expected {expected}, found {found}, in {where}");

    private sealed record Term(int Rank, float[] A, float[] BTransposed, float Scale);
}
