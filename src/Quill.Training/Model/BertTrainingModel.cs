// A BERT encoder for training: frozen embeddings, trainable blocks from a chosen layer up, mean pooling to unit vectors, and backward.
using System.Numerics.Tensors;
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Tensors;
using Quill.Tensors.Threading;
using Quill.Training.Layers;
using Quill.Training.Optimization;

namespace Quill.Training.Model;

/// <summary>
/// Token ids → the sentence vectors <c>BertEmbedder</c> gives for the same weights (mean over a text's tokens, then unit length),
/// with the backward pass from a gradient on those vectors to the weights of the blocks from <see cref="TrainableFrom"/> up.
/// A batch is laid out (B, T) with right padding, T the longest sequence. The embedding tables stay frozen; blocks below
/// <see cref="TrainableFrom"/> run forward only and gather no gradient. <see cref="ToCheckpoint"/> gives the weights back as a
/// checkpoint for the inference encoder.
/// </summary>
public sealed class BertTrainingModel
{
    private readonly BertCheckpoint _source;
    private readonly BertInputEmbedding _embedding;
    private float[] _dHidden = [], _dOther = [], _pooled = [], _norms = [];
    private float[][] _activations = [];
    private int[] _lengths = [];
    private int _batch, _tokens, _trainableFrom;

    public BertTrainingModel(BertCheckpoint checkpoint)
    {
        _source = checkpoint.Validate();
        var c = Config = checkpoint.Config;
        if (c.Pooling != Pooling.Mean)
            throw new NotSupportedException($"{checkpoint.Name}: training reads mean-pooled sentence vectors, the model pools by {c.Pooling}");
        _embedding = new BertInputEmbedding(checkpoint);
        var blocks = new BertTrainingBlock[c.Layers];
        Blocks = blocks;
        for (int l = 0; l < c.Layers; l++)
        {
            var block = blocks[l] = new BertTrainingBlock(c);
            foreach (var (stem, linear) in block.Projections())
            {
                checkpoint.Get(Name(l, stem, "weight"), linear.OutFeatures, linear.InFeatures).Data.CopyTo(linear.Weight, 0);
                checkpoint.Get(Name(l, stem, "bias"), 1, linear.OutFeatures).Data.CopyTo(linear.Bias!, 0);
            }
            foreach (var (stem, norm) in block.Norms())
            {
                checkpoint.Get(Name(l, stem, "weight"), 1, c.Dim).Data.CopyTo(norm.Weight, 0);
                checkpoint.Get(Name(l, stem, "bias"), 1, c.Dim).Data.CopyTo(norm.Bias, 0);
            }
        }
    }

    public BertConfig Config { get; }
    public IReadOnlyList<BertTrainingBlock> Blocks { get; }

    /// <summary>Threads for every block's projections and attention (not owned); null runs them on the calling thread.</summary>
    public ComputePool? Pool
    {
        set
        {
            foreach (var block in Blocks) block.Pool = value;
        }
    }

    /// <summary>The lowest block that learns (0: all; <see cref="BertConfig.Layers"/>: none). Lower blocks are frozen.</summary>
    public int TrainableFrom
    {
        get => _trainableFrom;
        set
        {
            if ((uint)value > (uint)Config.Layers)
                throw new ArgumentOutOfRangeException(nameof(value), $"expected a block from 0 to {Config.Layers}, found {value}");
            _trainableFrom = value;
            for (int l = 0; l < Config.Layers; l++) Blocks[l].Frozen = l < value;
        }
    }

    /// <summary>
    /// Freezes the projections of the trainable blocks and gives each a fresh low-rank adapter (B zero, so the vectors do
    /// not change until training moves it); from then on <see cref="Parameters"/> holds the adapters and the norms.
    /// </summary>
    public void AttachLora(int rank, float alpha, ulong seed)
    {
        var rng = new SplitMix64(seed);
        for (int l = _trainableFrom; l < Config.Layers; l++)
            foreach (var (_, linear) in Blocks[l].Projections())
            {
                var adapter = new LoraAdapter(linear.InFeatures, linear.OutFeatures, rank, alpha);
                adapter.InitializeRandom(rng);
                linear.Lora = adapter;
                linear.Frozen = true;
            }
    }

    /// <summary>
    /// What training moves in the trainable blocks, under GGUF names: each projection's weight and bias, or its adapter's A and
    /// B (<c>…weight.lora_a</c>, <c>…weight.lora_b</c>, as llama.cpp's adapters name them) once <see cref="AttachLora"/> ran,
    /// and both norms; norms and biases undecayed.
    /// </summary>
    public ParameterSet Parameters()
    {
        var set = new ParameterSet();
        for (int l = _trainableFrom; l < Config.Layers; l++)
        {
            foreach (var (stem, linear) in Blocks[l].Projections())
            {
                if (linear.Lora is { } lora)
                {
                    set.Add(Name(l, stem, "weight.lora_a"), lora.A.Weight, lora.A.WeightGrad);
                    set.Add(Name(l, stem, "weight.lora_b"), lora.B.Weight, lora.B.WeightGrad);
                    continue;
                }
                set.Add(Name(l, stem, "weight"), linear.Weight, linear.WeightGrad);
                set.Add(Name(l, stem, "bias"), linear.Bias!, linear.BiasGrad!, decay: false);
            }
            foreach (var (stem, norm) in Blocks[l].Norms())
            {
                set.Add(Name(l, stem, "weight"), norm.Weight, norm.WeightGrad, decay: false);
                set.Add(Name(l, stem, "bias"), norm.Bias, norm.BiasGrad, decay: false);
            }
        }
        return set;
    }

    /// <summary>
    /// The sentence vectors (B, C) of <paramref name="sequences"/> (token ids with [CLS] and [SEP], 1 … MaxPositions each),
    /// keeping what <see cref="Backward"/> needs. The span is valid until the next Forward.
    /// </summary>
    public ReadOnlySpan<float> Forward(IReadOnlyList<int[]> sequences)
    {
        var c = Config;
        int batch = sequences.Count, tokens = 0;
        foreach (int[] s in sequences)
        {
            c.CheckSequence(s, nameof(sequences));
            tokens = Math.Max(tokens, s.Length);
        }
        _batch = batch;
        _tokens = tokens;
        if (_lengths.Length < batch)
        {
            _lengths = new int[batch];
            _norms = new float[batch];
        }
        int dim = c.Dim, n = batch * tokens * dim;
        if (_activations.Length != c.Layers + 1) _activations = [.. Enumerable.Repeat(Array.Empty<float>(), c.Layers + 1)];
        for (int l = 0; l <= c.Layers; l++) LayerShape.Ensure(ref _activations[l], n);
        var x = _activations[0].AsSpan(0, n);
        for (int b = 0; b < batch; b++)
        {
            int[] ids = sequences[b];
            _lengths[b] = ids.Length;
            for (int t = 0; t < tokens; t++)
            {
                // Padding rows embed [PAD] (id 0) at their position: finite, and never read by the rows that matter.
                _embedding.Row(t < ids.Length ? ids[t] : 0, t, x.Slice((b * tokens + t) * dim, dim));
            }
        }
        var lengths = _lengths.AsSpan(0, batch);
        for (int l = 0; l < c.Layers; l++) Blocks[l].Forward(_activations[l].AsSpan(0, n), _activations[l + 1].AsSpan(0, n), lengths);
        var hidden = _activations[c.Layers].AsSpan(0, n);
        var pooled = LayerShape.Slice(ref _pooled, batch * dim);
        for (int b = 0; b < batch; b++)
        {
            var vector = pooled.Slice(b * dim, dim);
            TextPooling.Pool(hidden.Slice(b * tokens * dim, _lengths[b] * dim), _lengths[b], Pooling.Mean, vector);
            _norms[b] = TextPooling.Normalize(vector);
        }
        return pooled;
    }

    /// <summary>
    /// The gradient of a loss on the last Forward's sentence vectors (B, C) → gradients added to <see cref="Parameters"/>'
    /// values. Below <see cref="TrainableFrom"/> nothing runs.
    /// </summary>
    public void Backward(ReadOnlySpan<float> dVectors)
    {
        var c = Config;
        int dim = c.Dim, batch = _batch, tokens = _tokens, n = batch * tokens * dim;
        LayerShape.Require(dVectors.Length >= batch * dim, nameof(BertTrainingModel), $"vector gradients of ({batch}, {dim})", dVectors.Length);
        var dHidden = LayerShape.Slice(ref _dHidden, n);
        dHidden.Clear();
        for (int b = 0; b < batch; b++)
        {
            // v = m/‖m‖, m = Σ h_t / L: dm = (dv − v·(v·dv)) / ‖m‖ (Forward kept ‖m‖), and each real row's share is dm / L.
            var v = _pooled.AsSpan(b * dim, dim);
            var dv = dVectors.Slice(b * dim, dim);
            int length = _lengths[b];
            var first = dHidden.Slice(b * tokens * dim, dim);
            TensorPrimitives.MultiplyAdd(v, -TensorPrimitives.Dot(v, dv), dv, first);
            TensorPrimitives.Multiply(first, 1f / (_norms[b] * length), first);
            for (int t = 1; t < length; t++) first.CopyTo(dHidden.Slice((b * tokens + t) * dim, dim));
        }
        // Blocks from the top down; the lowest trainable block's input gradient is not needed but its weights' are.
        var dOut = dHidden;
        var dIn = LayerShape.Slice(ref _dOther, n);
        for (int l = c.Layers - 1; l >= _trainableFrom; l--)
        {
            Blocks[l].Backward(dOut, dIn);
            var spent = dOut;
            dOut = dIn;
            dIn = spent;
        }
    }

    /// <summary>
    /// A checkpoint of the current weights: the source's embeddings and the blocks' weights copied out of training, each
    /// adapter folded into its projection (W + s·B·A).
    /// </summary>
    public BertCheckpoint ToCheckpoint(string? name = null)
    {
        var c = Config;
        var tensors = new Dictionary<string, BertTensor>(_source.Tensors, StringComparer.Ordinal);
        for (int l = 0; l < c.Layers; l++)
        {
            foreach (var (stem, linear) in Blocks[l].Projections())
            {
                var weight = tensors[Name(l, stem, "weight")] = Copy(linear.Weight, linear.OutFeatures, linear.InFeatures);
                linear.Lora?.MergeInto(weight.Data);
                tensors[Name(l, stem, "bias")] = Copy(linear.Bias!, 1, linear.OutFeatures);
            }
            foreach (var (stem, norm) in Blocks[l].Norms())
            {
                tensors[Name(l, stem, "weight")] = Copy(norm.Weight, 1, c.Dim);
                tensors[Name(l, stem, "bias")] = Copy(norm.Bias, 1, c.Dim);
            }
        }
        return new BertCheckpoint(name ?? _source.Name, c, tensors, _source.Vocabulary);
    }

    private static BertTensor Copy(float[] values, int rows, int columns)
    {
        var tensor = BertTensor.Allocate(rows, columns);
        values.CopyTo(tensor.Data, 0);
        return tensor;
    }

    private static string Name(int layer, string stem, string part) => $"blk.{layer}.{stem}.{part}";
}
