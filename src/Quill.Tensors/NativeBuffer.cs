// A fixed-size, 64-byte aligned block of unmanaged memory for scratch buffers and caches; not growable, not pooled.
using System.Runtime.InteropServices;

namespace Quill.Tensors;

/// <summary>Owns <see cref="Length"/> zeroed elements of unmanaged memory, aligned for the widest SIMD loads.</summary>
public sealed unsafe class NativeBuffer<T> : IDisposable where T : unmanaged
{
    private T* _pointer;

    public NativeBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = (nuint)Math.Max(1, length * sizeof(T));
        _pointer = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_pointer, bytes);
    }

    public long Length { get; }

    /// <summary>The start of the block; valid until Dispose.</summary>
    public T* Pointer => _pointer;

    /// <summary>A span over [offset, offset + length).</summary>
    public Span<T> Slice(long offset, int length)
    {
        if ((ulong)offset + (ulong)length > (ulong)Length) throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<T>(_pointer + offset, length);
    }

    /// <summary>The whole block as a span (blocks under 2^31 elements).</summary>
    public Span<T> Span => new(_pointer, checked((int)Length));

    public void Dispose()
    {
        if (_pointer != null) NativeMemory.AlignedFree(_pointer);
        _pointer = null;
    }
}
