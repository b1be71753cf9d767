// Row dot products per weight type: the SIMD kernel beside its scalar Reference (the no-SIMD baseline), in GB/s of weights.
using BenchmarkDotNet.Attributes;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Benchmarks.Quantization;

[MemoryDiagnoser]
public class RowDotBenchmarks
{
    private const int Columns = 4096;
    private byte[] _weights = [];
    private byte[] _activations = [];
    private QuantFormat _format = null!;

    [Params(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _format = QuantFormats.Get(Type);
        var random = new Random(1);
        _weights = new byte[_format.RowBytes(Columns)];
        if (_format.Quantize is { } quantize)
        {
            var w = new float[Columns];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() * 2 - 1);
            quantize(w, _weights);
        }
        else
        {
            // K-quants: random bytes with small finite fp16 scales are valid blocks.
            random.NextBytes(_weights);
            for (int b = 0; b < _weights.Length; b += _format.BlockBytes)
            {
                _weights[b + _format.BlockBytes - 2] = 0x00;
                _weights[b + _format.BlockBytes - 1] = 0x1C;
            }
        }
        var x = new float[Columns];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        _activations = new byte[_format.ActivationRowBytes(Columns)];
        _format.QuantizeActivations(x, _activations);
    }

    [Benchmark(Baseline = true)]
    public float Reference() => _format.DotReference(_weights, _activations);

    [Benchmark]
    public float Simd() => _format.Dot(_weights, _activations);
}
