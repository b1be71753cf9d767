// Maps an ONNX export of a BERT encoder (HF / optimum / sentence-transformers) to GGUF-named F32 tensors, following the graph to name MatMul weights.
using Quill.Embeddings;
using Quill.Formats.Onnx;

namespace Quill.Models.Bert;

/// <summary>
/// Initializers with BertModel names map directly. A MatMul (or Gemm) whose weight is an anonymous initializer
/// ("onnx::MatMul_927", "927") takes its name from the bias added to its output ("….query.bias" → "….query.weight").
/// MatMul weights are stored (K, N) and are transposed to (N, K); Gemm follows transB. The head count comes from the
/// Reshape that splits C into (H, D); ε from the LayerNormalization attribute or the constant added before Sqrt.
/// </summary>
public static class BertOnnxReader
{
    public static BertCheckpoint Read(OnnxFile file, string? name = null)
    {
        string source = Path.GetFileName(file.Path);
        var producers = new Dictionary<string, OnnxNode>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in file.Nodes)
        {
            foreach (string output in node.Outputs) producers[output] = node;
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        }

        var tensors = new Dictionary<string, BertTensor>(StringComparer.Ordinal);
        foreach (var init in file.Initializers)
        {
            if (BertTensorNames.FromHuggingFace(init.Name) is not { } gguf || init.Dims.Length is 0 or > 2) continue;
            if (init.Dims.Length == 2 && gguf.EndsWith(".weight", StringComparison.Ordinal) && gguf.StartsWith("blk.", StringComparison.Ordinal))
                continue; // a named linear weight: its orientation comes from the node that uses it, below
            tensors[gguf] = ReadPlain(file, init);
        }

        foreach (var node in file.Nodes)
        {
            bool gemm = node.OpType == "Gemm";
            if (!gemm && node.OpType != "MatMul") continue;
            if (node.Inputs.Length < 2) continue;
            var (weight, transposedInGraph) = WeightOf(file, producers, node.Inputs[1]);
            if (weight is null || weight.Dims.Length != 2) continue;
            string? biasName = gemm && node.Inputs.Length > 2 ? node.Inputs[2] : BiasAddedTo(file, consumers, node.Outputs[0]);
            string? role = biasName is not null && biasName.EndsWith(".bias", StringComparison.Ordinal)
                ? BertTensorNames.FromHuggingFace(biasName[..^5] + ".weight")
                : BertTensorNames.FromHuggingFace(weight.Name);
            if (role is null) continue;
            // MatMul computes x · B with B (K, N); we keep (N, K). Gemm with transB = 1 already holds (N, K).
            bool storedNK = gemm ? node.FindAttribute("transB")?.Int == 1 : transposedInGraph;
            tensors[role] = storedNK ? ReadPlain(file, weight) : ReadTransposed(file, weight);
        }

        if (!tensors.TryGetValue(BertTensorNames.TokenEmbedding, out var words))
            throw new InvalidDataException($"{source}: expected a BERT encoder with embeddings.word_embeddings.weight, found no such initializer");
        int dim = words.Columns;
        int layers = 0;
        while (tensors.ContainsKey(BertTensorNames.Query(layers))) layers++;
        if (layers == 0) throw new InvalidDataException($"{source}: expected BERT layers (encoder.layer.0.attention.self.query), found none");
        int ffn = tensors.TryGetValue(BertTensorNames.Up(0), out var up) ? up.Rows : 0;
        var config = new BertConfig(
            VocabSize: words.Rows,
            Dim: dim,
            Layers: layers,
            Heads: FindHeads(file, dim) ?? throw new InvalidDataException($"{source}: expected a Reshape that splits {dim} channels into heads, found none"),
            FeedForwardDim: ffn,
            MaxPositions: tensors.TryGetValue(BertTensorNames.PositionEmbedding, out var positions) ? positions.Rows : 0,
            TokenTypes: tensors.TryGetValue(BertTensorNames.TokenTypes, out var types) ? types.Rows : 0,
            LayerNormEpsilon: FindEpsilon(file, producers) ?? 1e-12f,
            Pooling: Pooling.Mean).Validate(source);
        return new BertCheckpoint(name ?? Path.GetFileNameWithoutExtension(file.Path), config, tensors, vocabulary: null).Validate();
    }

    /// <summary>The initializer behind a value, looking through one Transpose (which means it is already stored (N, K)).</summary>
    private static (OnnxTensorInfo? Tensor, bool Transposed) WeightOf(OnnxFile file, Dictionary<string, OnnxNode> producers, string value)
    {
        if (file.FindTensor(value) is { } direct) return (direct, false);
        if (producers.TryGetValue(value, out var node) && node.OpType == "Transpose" && file.FindTensor(node.Inputs[0]) is { } inner)
            return (inner, true);
        return (null, false);
    }

    /// <summary>The bias initializer of an Add that consumes <paramref name="value"/>, if any.</summary>
    private static string? BiasAddedTo(OnnxFile file, Dictionary<string, List<OnnxNode>> consumers, string value)
    {
        if (!consumers.TryGetValue(value, out var users)) return null;
        foreach (var user in users)
        {
            if (user.OpType != "Add") continue;
            foreach (string input in user.Inputs)
                if (input != value && file.FindTensor(input) is { Dims.Length: 1 } bias) return bias.Name;
        }
        return null;
    }

    private static BertTensor ReadPlain(OnnxFile file, OnnxTensorInfo t)
    {
        int rows = t.Dims.Length == 2 ? checked((int)t.Dims[0]) : 1;
        int columns = checked((int)t.Dims[^1]);
        var tensor = BertTensor.Allocate(rows, columns);
        file.ReadFloats(t, tensor.Data);
        return tensor;
    }

    private static BertTensor ReadTransposed(OnnxFile file, OnnxTensorInfo t)
    {
        int k = checked((int)t.Dims[0]), n = checked((int)t.Dims[1]);
        float[] source = file.ReadFloats(t);
        var tensor = BertTensor.Allocate(n, k);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++) tensor.Data[j * k + i] = source[i * n + j];
        return tensor;
    }

    /// <summary>H from a Reshape whose target shape ends in constants (H, D) with H·D = C.</summary>
    private static int? FindHeads(OnnxFile file, int dim)
    {
        foreach (var node in file.Nodes)
        {
            if (node.OpType != "Concat" || node.Inputs.Length < 2) continue;
            long? h = SingleInt(file, node.Inputs[^2]), d = SingleInt(file, node.Inputs[^1]);
            if (h > 0 && d > 0 && h * d == dim) return (int)h;
        }
        foreach (var t in file.Initializers)
        {
            if (t.DataType != OnnxDataType.Int64 || t.Dims is not [4]) continue;
            long[] shape = file.ReadInt64s(t);
            if (shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == dim) return (int)shape[2];
        }
        return null;
    }

    private static long? SingleInt(OnnxFile file, string name) =>
        file.FindTensor(name) is { DataType: OnnxDataType.Int64, ElementCount: 1 } t ? file.ReadInt64s(t)[0] : null;

    /// <summary>ε: a LayerNormalization's attribute, or the scalar added to the variance before Sqrt.</summary>
    private static float? FindEpsilon(OnnxFile file, Dictionary<string, OnnxNode> producers)
    {
        foreach (var node in file.Nodes)
        {
            if (node.OpType is "LayerNormalization" or "SkipLayerNormalization" && node.FindAttribute("epsilon") is { } eps) return eps.Float;
            if (node.OpType != "Sqrt" || !producers.TryGetValue(node.Inputs[0], out var add) || add.OpType != "Add") continue;
            foreach (string input in add.Inputs)
                if (file.FindTensor(input) is { DataType: OnnxDataType.Float, ElementCount: 1 } constant) return file.ReadFloats(constant)[0];
        }
        return null;
    }
}
