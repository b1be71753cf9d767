// A whole Llama decoder for training: embedding, blocks, final norm, head and loss, forward and backward over a Batch.
using Quill.Models.Llama;
using Quill.Tensors;
using Quill.Tensors.Threading;
using Quill.Training.Data;
using Quill.Training.Layers;
using Quill.Training.Optimization;

namespace Quill.Training.Model;

/// <summary>
/// F32 master weights in llama.cpp's layout (so a GGUF round-trips without reordering). <see cref="Parameters"/> lists
/// what the optimizer updates: every weight for full training, or only LoRA adapters after <see cref="AttachLora"/>.
/// Use: loss = Forward(batch); Backward(); (or ForwardLogits / BackwardLogits for losses of your own, e.g. DPO).
/// </summary>
public sealed class LlamaTrainingModel : IDisposable
{
    private float[] _x = [], _y = [], _normed = [], _logits = [], _dLogits = [], _dx = [], _dy = [];
    private int[] _positions = [];
    private Batch? _batch;

    public LlamaTrainingModel(LlamaConfig config, TrainingModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Architecture != "llama" || config.SlidingWindow != 0)
            throw new ArgumentException($"training supports the llama architecture without a sliding window, not '{config.Architecture}'");
        Config = config;
        Options = options ?? new TrainingModelOptions();
        TokenEmbedding = new Embedding(config.VocabSize, config.Dim);
        Blocks = [.. Enumerable.Range(0, config.Layers).Select(_ => new LlamaTrainingBlock(config))];
        OutputNorm = new RmsNormLayer(config.Dim, config.RmsEpsilon);
        Head = new Linear(config.Dim, config.VocabSize);
        Loss = new CrossEntropy(config.VocabSize);
        Parameters = AllWeights();
        Pool = new ComputePool(Options.Threads > 0 ? Options.Threads : ComputePool.DefaultThreadCount);
        foreach (var b in Blocks)
        {
            foreach (var (_, p) in b.Projections()) Wire(p);
            b.Attention.Pool = Pool;
            b.AttentionNorm.Pool = b.FeedForwardNorm.Pool = b.SwiGlu.Pool = Pool;
        }
        Wire(Head);
        Loss.Pool = Pool;
        OutputNorm.Pool = Pool;
    }

    /// <summary>The threads every layer runs on, sized by <see cref="TrainingModelOptions.Threads"/>; owned by the model.</summary>
    public ComputePool Pool { get; }

    public void Dispose() => Pool.Dispose();

    private void Wire(Linear layer)
    {
        layer.Pool = Pool;
        layer.Precision = Options.Precision;
    }

    public LlamaConfig Config { get; }
    public TrainingModelOptions Options { get; }
    public Embedding TokenEmbedding { get; }
    public IReadOnlyList<LlamaTrainingBlock> Blocks { get; }
    public RmsNormLayer OutputNorm { get; }
    public Linear Head { get; }
    public CrossEntropy Loss { get; }

    /// <summary>What the optimizer updates, in a fixed order (checkpoints rely on it).</summary>
    public ParameterSet Parameters { get; private set; }

    /// <summary>True once LoRA adapters are attached: the base is frozen and only adapters train.</summary>
    public bool HasLora { get; private set; }

    /// <summary>Scalar weights of the base model (adapters excluded).</summary>
    public long BaseParameterCount
    {
        get
        {
            long n = TokenEmbedding.Weight.Length + OutputNorm.Weight.Length + Head.Weight.Length;
            foreach (var b in Blocks)
            {
                n += b.AttentionNorm.Weight.Length + b.FeedForwardNorm.Weight.Length;
                foreach (var (_, p) in b.Projections()) n += p.Weight.Length;
            }
            return n;
        }
    }

    /// <summary>Logits (B·T, V) of the last forward.</summary>
    public ReadOnlySpan<float> Logits => _logits.AsSpan(0, _batch is null ? 0 : _batch.BatchSize * _batch.SequenceLength * Config.VocabSize);

    /// <summary>
    /// Weights drawn as GPT-2/Llama pre-training does: N(0, 0.02), residual output projections (wo, down) scaled by
    /// 1/√(2·layers), norms at 1. The same seed always gives the same weights.
    /// </summary>
    public void InitializeRandom(ulong seed)
    {
        var rng = new SplitMix64(seed);
        const float std = 0.02f;
        float residualStd = std / MathF.Sqrt(2f * Config.Layers);
        Normal(rng, TokenEmbedding.Weight, std);
        foreach (var b in Blocks)
        {
            b.AttentionNorm.Weight.AsSpan().Fill(1f);
            b.FeedForwardNorm.Weight.AsSpan().Fill(1f);
            foreach (var (name, p) in b.Projections()) Normal(rng, p.Weight, name is "o" or "down" ? residualStd : std);
        }
        OutputNorm.Weight.AsSpan().Fill(1f);
        Normal(rng, Head.Weight, std);
    }

    /// <summary>
    /// Freezes every base weight and adds a LoRA adapter (rank, alpha) to the named projections (q, k, v, o, gate, up,
    /// down) of every block; <see cref="Parameters"/> then holds only the adapters' A and B.
    /// </summary>
    public void AttachLora(int rank, float alpha, IReadOnlyCollection<string> targets, ulong seed)
    {
        if (HasLora) throw new InvalidOperationException("LoRA adapters are already attached");
        var known = new HashSet<string>(["q", "k", "v", "o", "gate", "up", "down"]);
        foreach (var t in targets)
            if (!known.Contains(t)) throw new ArgumentException($"unknown LoRA target '{t}' (expected some of: q, k, v, o, gate, up, down)");
        var rng = new SplitMix64(seed);
        var set = new ParameterSet();
        for (int l = 0; l < Blocks.Count; l++)
        {
            foreach (var (name, p) in Blocks[l].Projections())
            {
                p.Frozen = true;
                if (!targets.Contains(name)) continue;
                var lora = new LoraAdapter(p.InFeatures, p.OutFeatures, rank, alpha);
                lora.InitializeRandom(rng);
                p.Lora = lora;
                set.Add($"blk.{l}.{name}.lora_a", lora.A.Weight, lora.A.WeightGrad, decay: false);
                set.Add($"blk.{l}.{name}.lora_b", lora.B.Weight, lora.B.WeightGrad, decay: false);
            }
        }
        Head.Frozen = true;
        HasLora = true;
        Parameters = set;
    }

    /// <summary>Mean cross-entropy over the batch's targets that are not ignored.</summary>
    public float Forward(Batch batch)
    {
        var logits = ForwardLogits(batch);
        return Loss.Forward(logits, batch.Targets);
    }

    /// <summary>Backward of the last <see cref="Forward"/>: adds d(loss·<paramref name="lossScale"/>) to every gradient.</summary>
    public void Backward(float lossScale = 1f)
    {
        var batch = _batch ?? throw new InvalidOperationException("Backward needs a Forward first");
        int rows = batch.BatchSize * batch.SequenceLength;
        var dLogits = LayerShape.Slice(ref _dLogits, rows * Config.VocabSize);
        Loss.Backward(dLogits, lossScale);
        BackwardLogits(dLogits);
    }

    /// <summary>Inputs (B, T) → logits (B·T, V). Positions are 0..T−1 in every row; lengths mask the padding.</summary>
    public ReadOnlySpan<float> ForwardLogits(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int rows = batch.BatchSize * batch.SequenceLength, dim = Config.Dim;
        if (batch.SequenceLength > Config.ContextLength)
            throw new ArgumentException($"a batch of {batch.SequenceLength} tokens per row is longer than the model's context of {Config.ContextLength}");
        _batch = batch;
        if (_positions.Length < rows) _positions = new int[rows];
        for (int r = 0; r < rows; r++) _positions[r] = r % batch.SequenceLength;
        var positions = _positions.AsSpan(0, rows);
        var x = LayerShape.Slice(ref _x, rows * dim);
        var y = LayerShape.Slice(ref _y, rows * dim);
        TokenEmbedding.Forward(batch.Inputs, x);
        foreach (var block in Blocks)
        {
            block.Forward(x, y, positions, batch.Lengths);
            (_x, _y) = (_y, _x);
            x = _x.AsSpan(0, rows * dim);
            y = _y.AsSpan(0, rows * dim);
        }
        var normed = LayerShape.Slice(ref _normed, rows * dim);
        OutputNorm.Forward(x, normed);
        var logits = LayerShape.Slice(ref _logits, rows * Config.VocabSize);
        Head.Forward(normed, logits);
        return logits;
    }

    /// <summary>dLogits (B·T, V) of the last forward → adds to every trainable gradient.</summary>
    public void BackwardLogits(ReadOnlySpan<float> dLogits)
    {
        var batch = _batch ?? throw new InvalidOperationException("BackwardLogits needs a forward first");
        int rows = batch.BatchSize * batch.SequenceLength, dim = Config.Dim;
        var dNormed = LayerShape.Slice(ref _dx, rows * dim);
        Head.Backward(dLogits, dNormed);
        var dy = LayerShape.Slice(ref _dy, rows * dim);
        OutputNorm.Backward(dNormed, dy);
        var dx = dNormed;
        for (int l = Blocks.Count - 1; l >= 0; l--)
        {
            Blocks[l].Backward(dy, dx);
            var t = dy;
            dy = dx;
            dx = t;
        }
        if (!HasLora) TokenEmbedding.Backward(dy);
    }

    private ParameterSet AllWeights()
    {
        var set = new ParameterSet();
        set.Add("token_embd.weight", TokenEmbedding.Weight, TokenEmbedding.WeightGrad);
        for (int l = 0; l < Blocks.Count; l++)
        {
            var b = Blocks[l];
            set.Add($"blk.{l}.attn_norm.weight", b.AttentionNorm.Weight, b.AttentionNorm.WeightGrad, decay: false);
            set.Add($"blk.{l}.attn_q.weight", b.Query.Weight, b.Query.WeightGrad);
            set.Add($"blk.{l}.attn_k.weight", b.Key.Weight, b.Key.WeightGrad);
            set.Add($"blk.{l}.attn_v.weight", b.Value.Weight, b.Value.WeightGrad);
            set.Add($"blk.{l}.attn_output.weight", b.Output.Weight, b.Output.WeightGrad);
            set.Add($"blk.{l}.ffn_norm.weight", b.FeedForwardNorm.Weight, b.FeedForwardNorm.WeightGrad, decay: false);
            set.Add($"blk.{l}.ffn_gate.weight", b.Gate.Weight, b.Gate.WeightGrad);
            set.Add($"blk.{l}.ffn_up.weight", b.Up.Weight, b.Up.WeightGrad);
            set.Add($"blk.{l}.ffn_down.weight", b.Down.Weight, b.Down.WeightGrad);
        }
        set.Add("output_norm.weight", OutputNorm.Weight, OutputNorm.WeightGrad, decay: false);
        set.Add("output.weight", Head.Weight, Head.WeightGrad);
        return set;
    }

    private static void Normal(SplitMix64 rng, float[] values, float std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            // Box–Muller: two normals from two uniforms; 1 − u keeps the logarithm finite.
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }
}
