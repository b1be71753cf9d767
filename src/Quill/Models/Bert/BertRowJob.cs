// The per-row steps of the BERT forward (embedding sum + LayerNorm, residual + LayerNorm) split across the pool.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;

namespace Quill.Models.Bert;

/// <summary>One reusable job object; each method sets its operands and runs over the rows.</summary>
internal sealed unsafe class BertRowJob : IRangeJob
{
    private enum Step { Embed, AddNorm }

    private readonly BertConfig _c;
    private readonly BertInputEmbedding _embedding;
    private Step _step;
    private IReadOnlyList<int[]>? _sequences;
    private int[] _rowSequence = [], _rowPosition = [];
    private float* _a, _x, _gamma, _beta;

    public BertRowJob(BertCheckpoint w, BertConfig c)
    {
        _c = c;
        _embedding = new BertInputEmbedding(w);
    }

    /// <summary>x[t] = LayerNorm(word[id] + type[0] + position[p]) (<see cref="BertInputEmbedding"/>).</summary>
    public void Embed(ComputePool pool, IReadOnlyList<int[]> sequences, float* x)
    {
        int total = 0;
        foreach (int[] s in sequences) total += s.Length;
        if (_rowSequence.Length < total)
        {
            _rowSequence = new int[Math.Max(total, _rowSequence.Length * 2)];
            _rowPosition = new int[_rowSequence.Length];
        }
        int row = 0;
        for (int s = 0; s < sequences.Count; s++)
            for (int p = 0; p < sequences[s].Length; p++, row++)
            {
                _rowSequence[row] = s;
                _rowPosition[row] = p;
            }
        _step = Step.Embed;
        _sequences = sequences;
        _x = x;
        pool.Run(this, total, granularity: 8);
        _sequences = null;
    }

    /// <summary>x[t] = LayerNorm(a[t] + x[t]) with γ, β.</summary>
    public void AddNorm(ComputePool pool, float* a, float* x, float* gamma, float* beta, int tokens)
    {
        _step = Step.AddNorm;
        _a = a; _x = x; _gamma = gamma; _beta = beta;
        pool.Run(this, tokens, granularity: 8);
    }

    void IRangeJob.Execute(int start, int end)
    {
        int c = _c.Dim;
        for (int t = start; t < end; t++)
        {
            switch (_step)
            {
                case Step.Embed:
                {
                    _embedding.Row(_sequences![_rowSequence[t]][_rowPosition[t]], _rowPosition[t], new Span<float>(_x + (long)t * c, c));
                    break;
                }
                case Step.AddNorm:
                {
                    var x = new Span<float>(_x + (long)t * c, c);
                    TensorPrimitives.Add(new ReadOnlySpan<float>(_a + (long)t * c, c), x, x);
                    Quill.Tensors.Kernels.LayerNorm.Forward(x, new ReadOnlySpan<float>(_gamma, c), new ReadOnlySpan<float>(_beta, c), _c.LayerNormEpsilon, x);
                    break;
                }
            }
        }
    }
}
