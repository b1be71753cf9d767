// A fixed set of worker threads that split one range job at a time; not a general task scheduler.
namespace Quill.Tensors.Threading;

/// <summary>
/// Runs <see cref="IRangeJob"/>s across <see cref="ThreadCount"/> threads (the caller is one of them). Workers spin briefly
/// between jobs, then sleep, so back-to-back kernels in a forward pass start without a context switch.
/// Run is not re-entrant: one caller at a time.
/// </summary>
public sealed class ComputePool : IDisposable
{
    private const int SpinIterations = 50_000;
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private IRangeJob? _job;
    private int _count;
    private int _granularity = 1;
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
            _workers[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"quill-compute-{index}" };
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
        Volatile.Write(ref _pending, _workers.Length);
        lock (_gate)
        {
            _generation++;
            if (_sleepers > 0) Monitor.PulseAll(_gate);
        }
        ExecutePart(job, 0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
    }

    private void ExecutePart(IRangeJob job, int part)
    {
        int units = (_count + _granularity - 1) / _granularity;
        int start = (int)((long)units * part / ThreadCount) * _granularity;
        int end = (int)((long)units * (part + 1) / ThreadCount) * _granularity;
        end = Math.Min(end, _count);
        if (start < end) job.Execute(start, end);
    }

    private void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (_generation == seen && !_disposed && spins < SpinIterations)
            {
                Thread.SpinWait(20);
                spins++;
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
            try { ExecutePart(job, index); }
            finally { Interlocked.Decrement(ref _pending); }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
