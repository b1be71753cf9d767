// A 2-D weight tensor (N rows of K elements, any ggml type) over memory someone else owns.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Quantization;

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
        UnitBytes = IsHalfWidth(type) ? HalfWidthChunkBytes : GgmlTypeInfo.BlockBytes(type);
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

    /// <summary>
    /// True when each group of four rows is stored block-interleaved (block b of rows r..r+3 side by side), as
    /// <see cref="InterleaveRowGroups"/> leaves it: one sequential stream for the four-row kernels instead of four.
    /// </summary>
    public bool IsInterleaved { get; private init; }

    /// <summary>
    /// Bytes of the unit the layouts move: a block of a block format; for F16 and BF16, whose block is one element, a
    /// chunk of <see cref="HalfWidthChunk"/> elements, the span of their four-row kernels' loop step.
    /// </summary>
    public int UnitBytes { get; }

    /// <summary>Elements of an F16 or BF16 row per layout unit.</summary>
    public const int HalfWidthChunk = 32;

    /// <summary>
    /// Bytes of that unit, and so the chunk stride of row-major F16 and BF16 rows: the four-row kernels and the prompt
    /// tile tell the row-major layout (this stride) from interleaved groups (four times it) by it.
    /// </summary>
    public const int HalfWidthChunkBytes = HalfWidthChunk * sizeof(ushort);

    /// <summary>Bytes from unit u of row r to unit u of row r+1 within a group of four.</summary>
    public int RowStride => IsInterleaved ? UnitBytes : RowBytes;

    /// <summary>Bytes from unit u to unit u+1 of one row.</summary>
    public int BlockStride => IsInterleaved ? 4 * UnitBytes : UnitBytes;

    /// <summary>
    /// Whether <see cref="InterleaveRowGroups"/> applies, and the kernels then read the groups: whole groups of four rows
    /// and a type whose four-row kernels take either layout here (the block formats with a four-row kernel and a 4×4 or pair tile;
    /// F16 and BF16 where their four-row kernel runs at 512 bits, on rows of whole chunks).
    /// </summary>
    public bool CanInterleave => CanInterleaveRows(Type, Rows, Columns);

    /// <summary><see cref="CanInterleave"/> for <paramref name="rows"/> rows of <paramref name="columns"/> elements of <paramref name="type"/>.</summary>
    public static bool CanInterleaveRows(GgmlType type, int rows, int columns) =>
        rows % 4 == 0 && QuantFormats.TryGet(type, out var format) && format.Rows is not null
        && (IsHalfWidth(type) ? columns % HalfWidthChunk == 0 && HalfWidthRows<Fp16Float>.IsSupported : format.Tile is not null || format.Pairs is not null);

    private static bool IsHalfWidth(GgmlType type) => type is GgmlType.F16 or GgmlType.BF16;

    /// <summary>Where the group of rows starting at <paramref name="row"/> (a multiple of 4) begins, in either layout.</summary>
    internal byte* GroupStart(int row) => _data + (long)row * RowBytes;

    /// <summary>
    /// Rearranges the memory in place so that each group of four rows is block-interleaved, and returns the view of
    /// that layout. Only for memory this process owns (an aligned copy), never a read-only map. Rows must be a
    /// multiple of 4.
    /// </summary>
    public WeightMatrix InterleaveRowGroups()
    {
        if (IsInterleaved) return this;
        if (!CanInterleave)
            throw new InvalidOperationException($"tensor '{Name}': {Rows} rows of {Columns} {Type} cannot be interleaved in groups of four here");
        int blockBytes = UnitBytes;
        int blocks = RowBytes / blockBytes;
        var group = new byte[4 * RowBytes];
        fixed (byte* copy = group)
        {
            for (int r0 = 0; r0 < Rows; r0 += 4)
            {
                byte* start = GroupStart(r0);
                new Span<byte>(start, group.Length).CopyTo(group);
                for (int b = 0; b < blocks; b++)
                    for (int k = 0; k < 4; k++)
                        CopyBlock(copy + k * RowBytes + b * blockBytes, start + (b * 4 + k) * blockBytes, blockBytes);
            }
        }
        return new WeightMatrix(Name, Type, Rows, Columns, _data) { IsInterleaved = true };
    }

    // One block between two buffers that do not overlap, in vector moves (the last one overlapping the one before it)
    // rather than a memmove call per 18- to 210-byte block: TinyLlama Q8_0 loaded in 3.5 s against 3.6-4.0 s. The pass
    // itself, reading and rewriting the whole freshly read block, stays about a third of that load.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyBlock(byte* from, byte* to, int bytes)
    {
        if (bytes >= 32)
        {
            int i = 0;
            for (; i + 32 <= bytes; i += 32) Vector256.Load(from + i).Store(to + i);
            if (i < bytes) Vector256.Load(from + bytes - 32).Store(to + bytes - 32);
        }
        else if (bytes >= 16)
        {
            Vector128.Load(from).Store(to);
            Vector128.Load(from + bytes - 16).Store(to + bytes - 16);
        }
        else
        {
            Buffer.MemoryCopy(from, to, bytes, bytes);
        }
    }

    /// <summary>The encoded bytes of row <paramref name="row"/> (row-major layout only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Row(int row)
    {
        if (IsInterleaved) ThrowInterleaved();
        return new(_data + (long)row * RowBytes, RowBytes);
    }

    /// <summary>Row <paramref name="row"/> decoded to floats, in either layout.</summary>
    public void DequantizeRow(int row, Span<float> destination, RowConvert dequantize)
    {
        if (!IsInterleaved)
        {
            dequantize(Row(row), destination);
            return;
        }
        int blockBytes = UnitBytes, blockSize = blockBytes / GgmlTypeInfo.BlockBytes(Type) * GgmlTypeInfo.BlockSize(Type);
        byte* first = GroupStart(row / 4 * 4) + row % 4 * blockBytes;
        for (int b = 0; b < RowBytes / blockBytes; b++)
            dequantize(new ReadOnlySpan<byte>(first + (long)b * 4 * blockBytes, blockBytes), destination.Slice(b * blockSize, blockSize));
    }

    private void ThrowInterleaved() =>
        throw new InvalidOperationException($"tensor '{Name}' is stored interleaved; use the four-row kernels or DequantizeRow");
}
