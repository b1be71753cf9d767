// GPT-2 weights from a Hugging Face safetensors checkpoint, converted once to F32 in our layout; conversion to GGUF is Gpt2CheckpointConverter.
using Quill.Conversion;
using Quill.Formats;
using Quill.Tensors;

namespace Quill.Models.Gpt2;

/// <summary>
/// Reads transformers' GPT-2 names (<c>wte</c>, <c>wpe</c>, <c>h.N.ln_1</c>, <c>h.N.attn.c_attn</c>, <c>h.N.mlp.c_fc</c>,
/// <c>ln_f</c>, optionally under <c>transformer.</c>, and <c>lm_head.weight</c> when it is not tied). Conv1D weights are
/// stored [in, out]; they are transposed into (out, in) rows, the layout GGUF files have, and repacked as
/// <see cref="WeightStore"/> repacks them, so the same weights give the same arithmetic from either file. Every
/// matrix lives in one aligned block this object owns.
/// </summary>
internal sealed unsafe class Gpt2CheckpointWeights : IDisposable
{
    private const int AlignFloats = 16;
    private readonly NativeBuffer<float> _block;
    private long _used;

    private Gpt2CheckpointWeights(long floats) => _block = new NativeBuffer<float>(floats);

    public static (Gpt2Config Config, Gpt2Weights Weights, Gpt2CheckpointWeights Owner) Read(HuggingFaceCheckpoint checkpoint)
    {
        string prefix = checkpoint.Has("transformer.wte.weight") ? "transformer." : checkpoint.Has("wte.weight") ? ""
            : throw new ModelFormatException($"{checkpoint.Folder}: expected GPT-2 tensors ('wte.weight' or 'transformer.wte.weight'), found neither");
        long[] wteShape = checkpoint.Shape(prefix + "wte.weight");
        int vocabFromTensor = wteShape.Length == 2 ? (int)Math.Min(wteShape[0], int.MaxValue) : 0;
        var c = Gpt2Config.FromHuggingFace(checkpoint, vocabFromTensor);
        bool separateHead = checkpoint.Has("lm_head.weight");

        long floats = Padded((long)c.VocabSize * c.Dim) + Padded((long)c.ContextLength * c.Dim)
            + c.Layers * (Padded((long)c.QkvDim * c.Dim) + Padded((long)c.Dim * c.Dim) + 2 * Padded((long)c.FeedForwardDim * c.Dim))
            + (separateHead ? Padded((long)c.VocabSize * c.Dim) : 0);
        var owner = new Gpt2CheckpointWeights(floats);
        try
        {
            string Layer(int l, string rest) => $"{prefix}h.{l}.{rest}";
            float[] Vector(string name, int length) => owner.Read(checkpoint, name, [length]);
            var layers = new Gpt2LayerWeights[c.Layers];
            for (int l = 0; l < c.Layers; l++)
            {
                layers[l] = new Gpt2LayerWeights
                {
                    AttentionNorm = Vector(Layer(l, "ln_1.weight"), c.Dim),
                    AttentionNormBias = Vector(Layer(l, "ln_1.bias"), c.Dim),
                    QueryKeyValue = owner.Conv1D(checkpoint, Layer(l, "attn.c_attn.weight"), c.Dim, c.QkvDim),
                    QueryKeyValueBias = Vector(Layer(l, "attn.c_attn.bias"), c.QkvDim),
                    AttentionOutput = owner.Conv1D(checkpoint, Layer(l, "attn.c_proj.weight"), c.Dim, c.Dim),
                    AttentionOutputBias = Vector(Layer(l, "attn.c_proj.bias"), c.Dim),
                    FeedForwardNorm = Vector(Layer(l, "ln_2.weight"), c.Dim),
                    FeedForwardNormBias = Vector(Layer(l, "ln_2.bias"), c.Dim),
                    Up = owner.Conv1D(checkpoint, Layer(l, "mlp.c_fc.weight"), c.Dim, c.FeedForwardDim),
                    UpBias = Vector(Layer(l, "mlp.c_fc.bias"), c.FeedForwardDim),
                    Down = owner.Conv1D(checkpoint, Layer(l, "mlp.c_proj.weight"), c.FeedForwardDim, c.Dim),
                    DownBias = Vector(Layer(l, "mlp.c_proj.bias"), c.Dim),
                };
            }
            var embedding = owner.Rows(checkpoint, prefix + "wte.weight", c.VocabSize, c.Dim, linear: false);
            var weights = new Gpt2Weights
            {
                TokenEmbedding = embedding,
                PositionEmbedding = owner.Rows(checkpoint, prefix + "wpe.weight", c.ContextLength, c.Dim, linear: false),
                Layers = layers,
                OutputNorm = Vector(prefix + "ln_f.weight", c.Dim),
                OutputNormBias = Vector(prefix + "ln_f.bias", c.Dim),
                Output = separateHead ? owner.Rows(checkpoint, "lm_head.weight", c.VocabSize, c.Dim, linear: true) : embedding,
            };
            return (c, weights, owner);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private static long Padded(long floats) => (floats + AlignFloats - 1) / AlignFloats * AlignFloats;

    /// <summary>A tensor's values, checked against the expected shape.</summary>
    private float[] Read(HuggingFaceCheckpoint checkpoint, string name, long[] expected)
    {
        long[] shape = checkpoint.Shape(name);
        if (!shape.AsSpan().SequenceEqual(expected))
            throw new ModelFormatException($"{checkpoint.Folder}: tensor '{name}' has shape [{string.Join(", ", shape)}], expected [{string.Join(", ",
                expected)}]");
        return checkpoint.ReadFloats(name);
    }

    /// <summary>A Conv1D weight [in, out] transposed into (out, in) rows.</summary>
    private WeightMatrix Conv1D(HuggingFaceCheckpoint checkpoint, string name, int inputs, int outputs)
    {
        float[] values = Read(checkpoint, name, [inputs, outputs]);
        float* destination = Take((long)inputs * outputs);
        for (int k = 0; k < inputs; k++)
            for (int n = 0; n < outputs; n++)
                destination[(long)n * inputs + k] = values[(long)k * outputs + n];
        return Linear(new WeightMatrix(name, GgmlType.F32, outputs, inputs, (byte*)destination));
    }

    /// <summary>A [rows, columns] tensor already in row layout (embeddings, a Linear lm_head).</summary>
    private WeightMatrix Rows(HuggingFaceCheckpoint checkpoint, string name, int rows, int columns, bool linear)
    {
        float[] values = Read(checkpoint, name, [rows, columns]);
        float* destination = Take((long)rows * columns);
        values.AsSpan().CopyTo(new Span<float>(destination, values.Length));
        var matrix = new WeightMatrix(name, GgmlType.F32, rows, columns, (byte*)destination);
        return linear ? Linear(matrix) : matrix;
    }

    /// <summary>Repacks a linear layer exactly when <see cref="WeightStore.LinearWeight"/> would in Copy mode.</summary>
    private static WeightMatrix Linear(WeightMatrix matrix) =>
        matrix.CanInterleave ? matrix.InterleaveRowGroups() : matrix;

    private float* Take(long floats)
    {
        float* start = _block.Pointer + _used;
        _used += Padded(floats);
        if (_used > _block.Length) throw new InvalidOperationException("GPT-2 checkpoint arena overflow");
        return start;
    }

    public void Dispose() => _block.Dispose();
}
