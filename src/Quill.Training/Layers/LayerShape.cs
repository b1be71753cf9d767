// Shape checks shared by the training layers, thrown from one cold place, and the grow-and-slice scratch buffers they share.
using System.Runtime.CompilerServices;

namespace Quill.Training.Layers;

internal static class LayerShape
{
    public static void Require(bool condition, string layer, string expected, int found)
    {
        if (!condition) Fail(layer, expected, found);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string layer, string expected, int found) =>
        throw new ArgumentException($"{layer}: expected {expected}, found {found}");

    /// <summary>Makes <paramref name="buffer"/> at least <paramref name="length"/> long; allocates only when it grows.</summary>
    public static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }

    /// <summary>The first <paramref name="length"/> values of <paramref name="buffer"/>, grown first when needed (<see cref="Ensure"/>).</summary>
    public static Span<float> Slice(ref float[] buffer, int length)
    {
        Ensure(ref buffer, length);
        return buffer.AsSpan(0, length);
    }
}
