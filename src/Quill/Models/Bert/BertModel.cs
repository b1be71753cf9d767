// A loaded BERT encoder and its forward pass over a batch of packed sequences; pooling lives in Embeddings/.
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;

namespace Quill.Models.Bert;

/// <summary>
/// Token ids in, last hidden states out. A batch of sequences is packed row after row (T = Σ lengths, no padding);
/// everything but attention is per row, and attention sees only its own sequence's rows, which is what an attention
/// mask over a padded batch computes. Scratch buffers grow to the largest batch seen and are reused; the forward
/// allocates nothing per layer. Calls are serialised (the compute pool runs one job at a time).
/// </summary>
public sealed unsafe class BertModel : IDisposable
{
    private readonly object _gate = new();
    private readonly BertLayerWeights[] _layers;
    private readonly PackedMatMul _matmul;
    private readonly BidirectionalAttention _attention;
    private readonly BertRowJob _rows;
    private readonly bool _headMajor;   // the q/k/v projection can be written head by head (D a multiple of the panel width)
    private NativeBuffer<float>? _x, _qkv, _att, _tmp, _ffn; // (T, C), (T, 3C) and (T, F)
    private long _capacity;
    private int[] _starts = new int[64], _lengths = new int[64];

    private BertModel(BertCheckpoint checkpoint, ComputePool pool)
    {
        Checkpoint = checkpoint.Validate();
        Config = checkpoint.Config;
        Pool = pool;
        var c = Config;
        _layers = new BertLayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++) _layers[l] = new BertLayerWeights(checkpoint, c, l);
        _matmul = new PackedMatMul(pool);
        _attention = new BidirectionalAttention(pool, c.Heads, c.HeadSize);
        _rows = new BertRowJob(checkpoint, c);
        _headMajor = c.HeadSize % PackedLinear.PanelWidth == 0;
    }

    public BertConfig Config { get; }
    public BertCheckpoint Checkpoint { get; }
    public ComputePool Pool { get; }

    /// <summary>A model over <paramref name="checkpoint"/>'s tensors (kept, not copied), computing on <paramref name="threads"/> threads (0: every
    /// core).</summary>
    public static BertModel Load(BertCheckpoint checkpoint, int threads = 0) =>
        new(checkpoint, new ComputePool(threads > 0 ? threads : ComputePool.DefaultThreadCount));

    /// <summary>
    /// Runs <paramref name="sequences"/> (each 1 … MaxPositions token ids, special tokens included) and writes the last
    /// hidden states (Σ lengths, C) into <paramref name="hidden"/>, sequence after sequence.
    /// </summary>
    public void Encode(IReadOnlyList<int[]> sequences, Span<float> hidden)
    {
        var c = Config;
        long total = 0;
        foreach (int[] s in sequences)
        {
            c.CheckSequence(s, nameof(sequences));
            total += s.Length;
        }
        if (hidden.Length < total * c.Dim)
            throw new ArgumentException($"the hidden buffer holds {hidden.Length} floats, the batch needs {total} × {c.Dim}", nameof(hidden));
        if (total == 0) return;
        lock (_gate)
        {
            Forward(sequences, (int)total);
            _x!.Slice(0, (int)(total * c.Dim)).CopyTo(hidden);
        }
    }

    private void Forward(IReadOnlyList<int[]> sequences, int tokens)
    {
        var c = Config;
        Reserve(tokens, sequences.Count);
        int start = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            _starts[s] = start;
            _lengths[s] = sequences[s].Length;
            start += sequences[s].Length;
        }
        int dim = c.Dim;
        float* x = _x!.Pointer, qkv = _qkv!.Pointer, att = _att!.Pointer, tmp = _tmp!.Pointer, ffn = _ffn!.Pointer;
        _rows.Embed(Pool, sequences, x);
        foreach (var w in _layers)
        {
            // self-attention: (T,C) -> [q k v] (T,3C) -> (T,C)
            if (_headMajor)
            {
                // [q k v] as (3H, T, D): each (sequence, head) is one contiguous run for attention to read
                _matmul.Multiply(x, tokens, w.QueryKeyValue, w.QueryKeyValueBias, qkv, blockWidth: c.HeadSize);
                long block = (long)tokens * dim;
                _attention.Forward(qkv, qkv + block, qkv + 2 * block, c.HeadSize, (long)tokens * c.HeadSize, att, _starts, _lengths, sequences.Count);
            }
            else
            {
                _matmul.Multiply(x, tokens, w.QueryKeyValue, w.QueryKeyValueBias, qkv);
                _attention.Forward(qkv, qkv + dim, qkv + 2 * dim, 3 * dim, att, _starts, _lengths, sequences.Count);
            }
            _matmul.Multiply(att, tokens, w.Output, w.OutputBias, tmp);
            _rows.AddNorm(Pool, tmp, x, w.AttentionNorm, w.AttentionNormBias, tokens);
            // feed-forward: (T,C) -> (T,F) -> (T,C)
            _matmul.Multiply(x, tokens, w.Up, w.UpBias, ffn, applyGelu: true);
            _matmul.Multiply(ffn, tokens, w.Down, w.DownBias, tmp);
            _rows.AddNorm(Pool, tmp, x, w.OutputNorm, w.OutputNormBias, tokens);
        }
    }

    private void Reserve(int tokens, int sequences)
    {
        if (_starts.Length < sequences)
        {
            _starts = new int[Math.Max(sequences, _starts.Length * 2)];
            _lengths = new int[_starts.Length];
        }
        if (tokens <= _capacity) return;
        long capacity = Math.Max(tokens, _capacity * 3 / 2);
        FreeScratch();
        long rows = capacity * Config.Dim;
        _x = new(rows); _qkv = new(3 * rows); _att = new(rows); _tmp = new(rows);
        _ffn = new(capacity * Config.FeedForwardDim);
        _capacity = capacity;
    }

    private void FreeScratch()
    {
        foreach (var b in new[] { _x, _qkv, _att, _tmp, _ffn }) b?.Dispose();
        _capacity = 0;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            FreeScratch();
            _matmul.Dispose();
            foreach (var layer in _layers) layer.Dispose();
            Pool.Dispose();
        }
    }
}

/// <summary>
/// One block's linear weights packed for <see cref="PackedMatMul"/>, and pointers to its pinned vectors. The query, key
/// and value projections are stacked into one (3C, C) weight so the block reads its input once for all three.
/// </summary>
internal sealed unsafe class BertLayerWeights : IDisposable
{
    private readonly BertTensor _queryKeyValueBias;   // (1, 3C)

    public BertLayerWeights(BertCheckpoint w, BertConfig c, int l)
    {
        var stacked = new float[3 * c.Dim * c.Dim];   // (3C, C), repacked below
        _queryKeyValueBias = BertTensor.Allocate(1, 3 * c.Dim);
        string[] weights = [BertTensorNames.Query(l), BertTensorNames.Key(l), BertTensorNames.Value(l)];
        string[] biases = [BertTensorNames.QueryBias(l), BertTensorNames.KeyBias(l), BertTensorNames.ValueBias(l)];
        for (int i = 0; i < 3; i++)
        {
            w.Get(weights[i], c.Dim, c.Dim).Data.CopyTo(stacked, i * c.Dim * c.Dim);
            w.Get(biases[i], 1, c.Dim).Data.CopyTo(_queryKeyValueBias.Data, i * c.Dim);
        }
        QueryKeyValue = new PackedLinear(stacked, 3 * c.Dim, c.Dim);
        QueryKeyValueBias = _queryKeyValueBias.Pointer;
        Output = new PackedLinear(w.Get(BertTensorNames.AttentionOutput(l), c.Dim, c.Dim).Data, c.Dim, c.Dim);
        OutputBias = w.Get(BertTensorNames.AttentionOutputBias(l), 1, c.Dim).Pointer;
        AttentionNorm = w.Get(BertTensorNames.AttentionNorm(l), 1, c.Dim).Pointer;
        AttentionNormBias = w.Get(BertTensorNames.AttentionNormBias(l), 1, c.Dim).Pointer;
        Up = new PackedLinear(w.Get(BertTensorNames.Up(l), c.FeedForwardDim, c.Dim).Data, c.FeedForwardDim, c.Dim);
        UpBias = w.Get(BertTensorNames.UpBias(l), 1, c.FeedForwardDim).Pointer;
        Down = new PackedLinear(w.Get(BertTensorNames.Down(l), c.Dim, c.FeedForwardDim).Data, c.Dim, c.FeedForwardDim);
        DownBias = w.Get(BertTensorNames.DownBias(l), 1, c.Dim).Pointer;
        OutputNorm = w.Get(BertTensorNames.OutputNorm(l), 1, c.Dim).Pointer;
        OutputNormBias = w.Get(BertTensorNames.OutputNormBias(l), 1, c.Dim).Pointer;
    }

    public readonly PackedLinear QueryKeyValue, Output, Up, Down;
    public readonly float* QueryKeyValueBias, OutputBias, AttentionNormBias, AttentionNorm, UpBias, DownBias, OutputNorm, OutputNormBias;

    public void Dispose()
    {
        foreach (var linear in new[] { QueryKeyValue, Output, Up, Down }) linear.Dispose();
    }
}
