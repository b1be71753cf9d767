// Rotary position embedding for training: the inference Rope kernel forward, its inverse rotation as backward; no cache.
using Quill.Tensors.Kernels;

namespace Quill.Training.Layers;

/// <summary>
/// x (rows, H·D) rotated per row by the angles of that row's position (ggml's frequencies, normal or NeoX layout).
/// A rotation is orthogonal, so dx is dy rotated by the negative angle. No parameters.
/// </summary>
public sealed class RopeLayer
{
    private readonly Rope _rope;
    private readonly float[] _forward, _inverse;
    private int[] _positions = [];
    private int _rows, _width;

    public RopeLayer(RopeLayout layout, int headSize, int rotaryDims, float freqBase, float freqScale, int maxPositions)
    {
        _rope = new Rope(layout, headSize, rotaryDims, freqBase, freqScale);
        MaxPositions = maxPositions;
        _forward = new float[maxPositions * rotaryDims];
        _inverse = new float[maxPositions * rotaryDims];
        for (int p = 0; p < maxPositions; p++)
        {
            var f = _forward.AsSpan(p * rotaryDims, rotaryDims);
            _rope.Angles(p, f);
            var inv = _inverse.AsSpan(p * rotaryDims, rotaryDims);
            f.CopyTo(inv);
            for (int i = 1; i < rotaryDims; i += 2) inv[i] = -inv[i];
        }
    }

    public int MaxPositions { get; }

    /// <summary>x (rows, H·D) → y at <paramref name="positions"/> (rows).</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<int> positions, Span<float> y)
    {
        int rows = positions.Length;
        int width = rows == 0 ? 0 : x.Length / rows;
        LayerShape.Require(rows == 0 || (width * rows == x.Length && width % _rope.HeadSize == 0), nameof(RopeLayer),
            $"rows of whole heads of {_rope.HeadSize}", x.Length);
        if (_positions.Length < rows) _positions = new int[rows];
        positions.CopyTo(_positions);
        _rows = rows;
        _width = width;
        x.CopyTo(y);
        Rotate(y, _forward);
    }

    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        dy[..(_rows * _width)].CopyTo(dx);
        Rotate(dx, _inverse);
    }

    private void Rotate(Span<float> rows, float[] angles)
    {
        int dims = _rope.RotaryDims;
        for (int t = 0; t < _rows; t++)
        {
            int p = _positions[t];
            LayerShape.Require((uint)p < (uint)MaxPositions, nameof(RopeLayer), $"a position below {MaxPositions} at row {t}", p);
            _rope.Apply(rows.Slice(t * _width, _width), angles.AsSpan(p * dims, dims));
        }
    }
}
