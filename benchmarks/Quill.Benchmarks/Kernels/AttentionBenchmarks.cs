// One decode step's attention for a batch of sequences (one new query token each, 12 heads of 64, no grouping: the
// 110M shape) over an F16 or F32 cache already holding Positions tokens, one thread: the server's batched-decode shape.
using BenchmarkDotNet.Attributes;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;

namespace Quill.Benchmarks.Kernels;

public unsafe class AttentionBenchmarks
{
    private const int Heads = 12, HeadSize = 64;
    private NativeBuffer<float> _q = null!, _out = null!, _keys32 = null!, _values32 = null!;
    private NativeBuffer<Half> _keys16 = null!, _values16 = null!;
    private AttentionSequence[] _sequences = null!;
    private ComputePool _pool = null!;
    private CausalAttention _attention = null!;

    [Params(1, 16)]
    public int Sequences { get; set; }

    [Params(160)]
    public int Positions { get; set; }

    [Params(false, true)]
    public bool Half16 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        long cache = (long)Sequences * Positions * Heads * HeadSize;
        _keys32 = new NativeBuffer<float>(cache);
        _values32 = new NativeBuffer<float>(cache);
        _keys16 = new NativeBuffer<Half>(cache);
        _values16 = new NativeBuffer<Half>(cache);
        for (long i = 0; i < cache; i++)
        {
            _keys32.Span[(int)i] = (float)(random.NextDouble() * 2 - 1);
            _values32.Span[(int)i] = (float)(random.NextDouble() * 2 - 1);
            _keys16.Span[(int)i] = (Half)_keys32.Span[(int)i];
            _values16.Span[(int)i] = (Half)_values32.Span[(int)i];
        }
        _q = new NativeBuffer<float>((long)Sequences * Heads * HeadSize);
        for (int i = 0; i < Sequences * Heads * HeadSize; i++) _q.Span[i] = (float)(random.NextDouble() * 2 - 1);
        _out = new NativeBuffer<float>((long)Sequences * Heads * HeadSize);
        _sequences = [.. Enumerable.Range(0, Sequences).Select(s => new AttentionSequence(s, 1, Positions - 1, (long)s * Positions * Heads * HeadSize))];
        _pool = new ComputePool(1);
        _attention = new CausalAttention(_pool, Heads, Heads, HeadSize);
    }

    [Benchmark]
    public void Step()
    {
        if (Half16) _attention.Forward(_q.Pointer, _keys16.Pointer, _values16.Pointer, _out.Pointer, _sequences, 0);
        else _attention.Forward(_q.Pointer, _keys32.Pointer, _values32.Pointer, _out.Pointer, _sequences, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _q.Dispose();
        _out.Dispose();
        _keys32.Dispose();
        _values32.Dispose();
        _keys16.Dispose();
        _values16.Dispose();
    }
}
