// The per-row steps a decoder's forward runs between its matmuls, split across the compute pool: the shared driver.
using Quill.Tensors.Threading;

namespace Quill.Models;

/// <summary>
/// Runs one per-row step of a layer (which step, which layer and its weights are set per call) over a step's rows,
/// split across the pool from <see cref="ParallelRows"/> rows and on the calling thread below that. Each row is one
/// thread's work (<see cref="Row"/>) with the serial loop's operations, so results are the same bit for bit whatever
/// the split. One reusable instance per forward; nothing is allocated per call.
/// </summary>
internal abstract class RowStepJob<TStep, TWeights>(ComputePool pool) : IRangeJob where TStep : struct, Enum where TWeights : class
{
    /// <summary>Rows from which a step is split across the pool; fewer run on the calling thread.</summary>
    private const int ParallelRows = 4;

    private TWeights? _weights;

    /// <summary>The step being run.</summary>
    protected TStep CurrentStep { get; private set; }

    /// <summary>The layer being run.</summary>
    protected int Layer { get; private set; }

    /// <summary>The layer's weights, during a call.</summary>
    protected TWeights Weights => _weights ?? throw new InvalidOperationException("a row step runs only inside Run");

    public void Run(TStep step, int layer, TWeights weights, int rows)
    {
        CurrentStep = step;
        Layer = layer;
        _weights = weights;
        if (rows >= ParallelRows) pool.Run(this, rows);
        else Execute(0, rows);
        _weights = null;
    }

    public void Execute(int start, int end)
    {
        for (int i = start; i < end; i++) Row(i);
    }

    /// <summary>The step for row <paramref name="i"/> of the current step's rows.</summary>
    protected abstract void Row(int i);
}
