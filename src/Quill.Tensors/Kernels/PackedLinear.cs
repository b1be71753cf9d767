// A linear layer's F32 weight (N, K) repacked once into panels of 32 output columns for PackedMatMul.
using System.Runtime.InteropServices;

namespace Quill.Tensors.Kernels;

/// <summary>
/// Panel p holds columns [32p, 32p + 32) of Wᵀ as K rows of 32 floats (zero beyond N), so the matmul's inner loop
/// reads one contiguous 128-byte row per k. Owns its aligned memory.
/// </summary>
public sealed unsafe class PackedLinear : IDisposable
{
    public const int PanelWidth = 32;

    public PackedLinear(ReadOnlySpan<float> weight, int rows, int columns)
    {
        if (weight.Length != (long)rows * columns) throw new ArgumentException($"expected {rows} × {columns} weights, found {weight.Length}", nameof(weight));
        Rows = rows;
        Columns = columns;
        Panels = (rows + PanelWidth - 1) / PanelWidth;
        nuint bytes = (nuint)((long)Panels * columns * PanelWidth * sizeof(float));
        Data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(Data, bytes);
        for (int n = 0; n < rows; n++)
        {
            float* panel = Data + (long)(n / PanelWidth) * columns * PanelWidth + n % PanelWidth;
            var row = weight.Slice(n * columns, columns);
            for (int k = 0; k < columns; k++) panel[(long)k * PanelWidth] = row[k];
        }
    }

    /// <summary>N, the output width.</summary>
    public int Rows { get; }

    /// <summary>K, the input width.</summary>
    public int Columns { get; }

    public int Panels { get; }
    public float* Data { get; private set; }

    public float* Panel(int p) => Data + (long)p * Columns * PanelWidth;

    public void Dispose()
    {
        if (Data != null) NativeMemory.AlignedFree(Data);
        Data = null;
    }
}
