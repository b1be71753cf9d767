// One batched matmul (T tokens × an interleaved 2048×768 weight, one thread) per weight type: the decode-step shape of
// the batched server, in weight rows × tokens per second, beside the same rows dotted one at a time with the format's row
// dot (what a format without four-row kernels decodes with); not a whole model (quill bench does that).
using BenchmarkDotNet.Attributes;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Threading;

namespace Quill.Benchmarks.Kernels;

public unsafe class MatMulBatchBenchmarks
{
    private const int Rows = 2048, Columns = 768;
    private NativeBuffer<byte> _weightBytes = null!;
    private NativeBuffer<float> _x = null!, _y = null!;
    private WeightMatrix _weights = null!;
    private ComputePool _pool = null!;
    private MatMul _matmul = null!;
    private QuantFormat _format = null!;
    private byte[] _activation = [];
    private byte[] _rowMajor = [];

    [Params(GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    [Params(1)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var format = _format = QuantFormats.Get(Type);
        var random = new Random(1);
        int rowBytes = format.RowBytes(Columns);
        _weightBytes = new NativeBuffer<byte>((long)rowBytes * Rows);
        var w = new float[Columns];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() * 2 - 1);
            format.Quantize!(w, _weightBytes.Span.Slice(r * rowBytes, rowBytes));
        }
        _rowMajor = _weightBytes.Span.ToArray();
        _weights = new WeightMatrix("w", Type, Rows, Columns, _weightBytes.Pointer);
        // Interleaved where the model loader interleaves (formats with four-row kernels here), as a model decodes it.
        if (format.Tile is not null && format.Rows is not null) _weights = _weights.InterleaveRowGroups();
        _x = new NativeBuffer<float>((long)Tokens * Columns);
        for (int i = 0; i < Tokens * Columns; i++) _x.Span[i] = (float)(random.NextDouble() * 2 - 1);
        _y = new NativeBuffer<float>((long)Tokens * Rows);
        _pool = new ComputePool(1);
        _matmul = new MatMul(_pool);
        _activation = new byte[format.ActivationRowBytes(Columns)];
    }

    /// <summary>Activations are quantized again every call (as in a decode step).</summary>
    [Benchmark]
    public void Multiply()
    {
        _matmul.SetInput(_x.Pointer, Tokens, Columns);
        _matmul.Multiply(_weights, _y.Pointer);
    }

    /// <summary>The first token against every row, one row dot at a time on a row-major copy (activations quantized once per call too).</summary>
    [Benchmark]
    public float RowDots()
    {
        _format.QuantizeActivations(_x.Span[..Columns], _activation);
        int rowBytes = _format.RowBytes(Columns);
        float sum = 0;
        for (int r = 0; r < Rows; r++) sum += _format.Dot(_rowMajor.AsSpan(r * rowBytes, rowBytes), _activation);
        return sum;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _matmul.Dispose();
        _pool.Dispose();
        _x.Dispose();
        _y.Dispose();
        _weightBytes.Dispose();
    }
}
