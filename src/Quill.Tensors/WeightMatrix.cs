// A 2-D weight tensor (N rows of K elements, any ggml type) over memory someone else owns; not a general tensor.
using System.Runtime.CompilerServices;

namespace Quill.Tensors;

/// <summary>
/// Rows of a linear layer's weight as ggml stores them: shape [K, N] with ne0 = K (input width) contiguous, so each of
/// the N output rows is <see cref="RowBytes"/> bytes of <see cref="Type"/> blocks. The memory (a mapped file or an
/// aligned copy) must outlive this view.
/// </summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* _data;

    public WeightMatrix(string name, GgmlType type, int rows, int columns, byte* data)
    {
        if (columns % GgmlTypeInfo.BlockSize(type) != 0)
            throw new ArgumentException($"tensor '{name}': row length {columns} is not a multiple of the {type} block size {GgmlTypeInfo.BlockSize(type)}");
        Name = name;
        Type = type;
        Rows = rows;
        Columns = columns;
        RowBytes = (int)GgmlTypeInfo.RowBytes(type, columns);
        _data = data;
    }

    public string Name { get; }
    public GgmlType Type { get; }

    /// <summary>Output width N.</summary>
    public int Rows { get; }

    /// <summary>Input width K.</summary>
    public int Columns { get; }

    public int RowBytes { get; }
    public long ByteLength => (long)RowBytes * Rows;

    internal byte* Data => _data;

    /// <summary>The encoded bytes of row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Row(int row) => new(_data + (long)row * RowBytes, RowBytes);
}
