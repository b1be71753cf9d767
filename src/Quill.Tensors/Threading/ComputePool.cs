// A fixed set of worker threads that split one range job at a time.
namespace Quill.Tensors.Threading;

/// <summary>
/// Runs <see cref="IRangeJob"/>s across <see cref="ThreadCount"/> threads (the caller is one of them). Workers spin briefly
/// between jobs, then sleep, so back-to-back kernels in a forward pass start without a context switch. The range is
/// cut into a few chunks per thread that threads claim as they go, so a thread the OS preempts (a busy machine, a
/// server's HTTP threads sharing the cores) delays only the chunk it holds, not a fixed share of every job.
/// Run is not re-entrant: one caller at a time.
/// </summary>
public sealed class ComputePool : IDisposable
{
    private const int SpinIterations = 50_000;
    private const int YieldEvery = 16; // a power of two
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private IRangeJob? _job;
    private int _count;
    private int _granularity = 1;
    private int _units;      // granularity-sized units in the job
    private int _chunkUnits; // units claimed at a time
    private int _nextUnit;   // the next unclaimed unit
    private volatile int _generation;
    private int _pending;
    private int _sleepers;
    private volatile bool _disposed;

    public ComputePool(int threadCount)
    {
        ThreadCount = Math.Max(1, threadCount);
        _workers = new Thread[ThreadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"quill-compute-{index}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that share each job, the calling thread included.</summary>
    public int ThreadCount { get; }

    /// <summary>A pool sized to every core.</summary>
    public static int DefaultThreadCount => Environment.ProcessorCount;

    /// <summary>
    /// Runs <paramref name="job"/> over [0, <paramref name="count"/>) and returns when every part is done. Ranges are
    /// contiguous and rounded to multiples of <paramref name="granularity"/> (except the last).
    /// </summary>
    public void Run(IRangeJob job, int count, int granularity = 1)
    {
        if (count <= 0) return;
        if (ThreadCount == 1 || count <= granularity)
        {
            job.Execute(0, count);
            return;
        }
        _job = job;
        _count = count;
        _granularity = Math.Max(1, granularity);
        _units = (count + _granularity - 1) / _granularity;
        _chunkUnits = Math.Max(1, _units / (ThreadCount * ChunksPerThread));
        _nextUnit = 0;
        Volatile.Write(ref _pending, _workers.Length);
        lock (_gate)
        {
            _generation++;
            if (_sleepers > 0) Monitor.PulseAll(_gate);
        }
        ExecuteChunks(job);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
    }

    private const int ChunksPerThread = 4;

    /// <summary>Claims chunks of the current job until none is left.</summary>
    private void ExecuteChunks(IRangeJob job)
    {
        int units = _units, chunk = _chunkUnits;
        while (true)
        {
            int first = Interlocked.Add(ref _nextUnit, chunk) - chunk;
            if (first >= units) return;
            int start = first * _granularity;
            int end = (int)Math.Min((long)(first + chunk) * _granularity, _count);
            job.Execute(start, end);
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (_generation == seen && !_disposed && spins < SpinIterations)
            {
                // Yield now and then: when other threads want this core (a server's HTTP threads, the scheduler), they
                // run at once instead of waiting for this spinner's time slice to run out and stall the next job.
                if ((++spins & (YieldEvery - 1)) == 0) Thread.Yield();
                else Thread.SpinWait(20);
            }
            if (_generation == seen && !_disposed)
            {
                lock (_gate)
                {
                    _sleepers++;
                    while (_generation == seen && !_disposed) Monitor.Wait(_gate);
                    _sleepers--;
                }
            }
            if (_disposed) return;
            seen = _generation;
            var job = _job!;
            try { ExecuteChunks(job); }
            finally { Interlocked.Decrement(ref _pending); }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
