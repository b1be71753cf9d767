// Writes a random-weight Llama GGUF in F16 with tensors generated as the file is written, so a 14 GB 7B file never sits in memory.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Benchmarks.Comparison;

/// <summary>
/// The metadata of <see cref="SyntheticModelWriter.Header"/>, its tensor names and weight distributions (uniform in
/// ±√(3/fan_in), norms near 1), but each tensor's bytes are computed when the writer reaches
/// it, into one reused buffer, from a seed of its own: the same options always give the same bytes, in any thread count.
/// Not byte-identical to <see cref="SyntheticModelWriter"/>'s files.
/// </summary>
internal static class F16ModelWriter
{
    private const int ChunkElements = 1 << 20;

    public static void Write(string path, SyntheticModelOptions o)
    {
        int kvDim = o.KvHeads * (o.Dim / o.Heads);
        GgufWriter writer = SyntheticModelWriter.Header(o with { Architecture = "llama", Type = GgmlType.F16 });

        var buffer = new SharedBuffer();
        ulong seed = o.Seed * 0x9E3779B97F4A7C15UL;
        void Matrix(string name, int columns, int rows, float limit) =>
            writer.AddTensor(name, GgmlType.F16, [columns, rows], new GeneratedTensor(buffer, (long)columns * rows, ++seed, 0f, limit).Memory);
        void Vector(string name, int length) =>
            writer.AddTensor(name, GgmlType.F32, [length], MemoryMarshal.AsBytes(Around(++seed, length).AsSpan()).ToArray());

        Matrix(TensorNames.TokenEmbedding, o.Dim, o.VocabSize, 1f);
        for (int l = 0; l < o.Layers; l++)
        {
            Vector(TensorNames.AttentionNorm(l), o.Dim);
            Matrix(TensorNames.AttentionQuery(l), o.Dim, o.Dim, Limit(o.Dim));
            Matrix(TensorNames.AttentionKey(l), o.Dim, kvDim, Limit(o.Dim));
            Matrix(TensorNames.AttentionValue(l), o.Dim, kvDim, Limit(o.Dim));
            Matrix(TensorNames.AttentionOutput(l), o.Dim, o.Dim, Limit(o.Dim));
            Vector(TensorNames.FeedForwardNorm(l), o.Dim);
            Matrix(TensorNames.FeedForwardGate(l), o.Dim, o.FeedForwardDim, Limit(o.Dim));
            Matrix(TensorNames.FeedForwardUp(l), o.Dim, o.FeedForwardDim, Limit(o.Dim));
            Matrix(TensorNames.FeedForwardDown(l), o.FeedForwardDim, o.Dim, Limit(o.FeedForwardDim));
        }
        Vector(TensorNames.OutputNorm, o.Dim);
        Matrix(TensorNames.Output, o.Dim, o.VocabSize, Limit(o.Dim));
        writer.WriteTo(path);
    }

    private static float Limit(int fanIn) => MathF.Sqrt(3f / fanIn);

    private static float[] Around(ulong seed, int length)
    {
        var rng = new SplitMix64(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = 1f + (float)(rng.NextDouble() * 2 - 1) * 0.1f;
        return values;
    }

    /// <summary>One pinned byte buffer, grown to the largest tensor, that every generated tensor is written into in turn.</summary>
    private sealed class SharedBuffer
    {
        private byte[] _bytes = [];

        public byte[] AtLeast(int length)
        {
            if (_bytes.Length < length) _bytes = GC.AllocateUninitializedArray<byte>(length, pinned: true);
            return _bytes;
        }
    }

    /// <summary>
    /// F16 values uniform in center ± limit, computed into the shared buffer each time the span is asked for (the writer asks
    /// once, when it writes the tensor), in chunks of 2^20 values that each have their own seed, on all cores.
    /// </summary>
    private sealed unsafe class GeneratedTensor(SharedBuffer buffer, long elements, ulong seed, float center, float limit) : MemoryManager<byte>
    {
        private readonly int _length = checked((int)(elements * 2));

        public override Memory<byte> Memory => CreateMemory(_length);

        public override Span<byte> GetSpan()
        {
            byte[] bytes = buffer.AtLeast(_length);
            int chunks = (int)((elements + ChunkElements - 1) / ChunkElements);
            Parallel.For(0, chunks, () => new float[ChunkElements], (chunk, _, values) =>
            {
                long first = (long)chunk * ChunkElements;
                int count = (int)Math.Min(ChunkElements, elements - first);
                var rng = new SplitMix64(seed * 0xBF58476D1CE4E5B9UL + (ulong)chunk);
                for (int i = 0; i < count; i++) values[i] = center + (float)(rng.NextDouble() * 2 - 1) * limit;
                F16Row.Quantize(values.AsSpan(0, count), bytes.AsSpan((int)(first * 2), count * 2));
                return values;
            }, _ => { });
            return bytes.AsSpan(0, _length);
        }

        public override MemoryHandle Pin(int elementIndex = 0) =>
            new(Unsafe.AsPointer(ref GetSpan()[elementIndex]));

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
