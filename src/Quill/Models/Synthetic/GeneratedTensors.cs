// Tensors of a synthetic model computed when the GGUF writer reaches them, in the order they were added, so no more than one is in memory.
using System.Buffers;
using System.Runtime.InteropServices;
using Quill.Tensors;

namespace Quill.Models.Synthetic;

/// <summary>
/// Each tensor is a recipe over one shared <see cref="SplitMix64"/> stream, run when the writer first asks for the
/// tensor's bytes. The writer asks in file order, which is the order the tensors were added, so the stream is drawn in
/// the same order as if every tensor had been computed up front: the same bytes, but a 14 GB 7B file needs memory for
/// one tensor at a time. Asking out of order is a programming error and throws.
/// </summary>
internal sealed class GeneratedTensors(SplitMix64 rng, IProgress<double>? progress)
{
    private readonly List<Func<SplitMix64, byte[]>?> _recipes = [];
    private int _current = -1;
    private byte[] _bytes = [];

    /// <summary>The bytes (<paramref name="length"/> of them) that <paramref name="recipe"/> will make when the writer reaches them.</summary>
    public ReadOnlyMemory<byte> Add(long length, Func<SplitMix64, byte[]> recipe)
    {
        _recipes.Add(recipe);
        return new Tensor(this, _recipes.Count - 1, checked((int)length)).Memory;
    }

    private byte[] Bytes(int index)
    {
        if (index == _current) return _bytes;
        if (index != _current + 1)
            throw new InvalidOperationException($"synthetic tensors are generated in the order they were added: asked for {index} after {_current}");
        _bytes = _recipes[index]!(rng);
        _recipes[index] = null;
        _current = index;
        progress?.Report((index + 1.0) / _recipes.Count);
        return _bytes;
    }

    private sealed unsafe class Tensor(GeneratedTensors owner, int index, int length) : MemoryManager<byte>
    {
        private GCHandle _pin;

        /// <summary>The tensor's memory, its length known without making the bytes (the base property would make them).</summary>
        public override Memory<byte> Memory => CreateMemory(length);

        public override Span<byte> GetSpan()
        {
            byte[] bytes = owner.Bytes(index);
            if (bytes.Length != length) throw new InvalidOperationException($"synthetic tensor {index}: expected {length} bytes, made {bytes.Length}");
            return bytes;
        }

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            byte[] bytes = owner.Bytes(index);
            _pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            return new MemoryHandle((byte*)_pin.AddrOfPinnedObject() + elementIndex);
        }

        public override void Unpin()
        {
            if (_pin.IsAllocated) _pin.Free();
        }

        protected override void Dispose(bool disposing) => Unpin();
    }
}
