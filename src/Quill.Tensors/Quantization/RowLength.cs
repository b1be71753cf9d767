// Length checks shared by the row kernels, with the throws kept out of the hot methods.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Quill.Tensors.Quantization;

/// <summary>Validates span lengths given to the quantization kernels.</summary>
internal static class RowLength
{
    /// <summary>The number of whole items of <paramref name="itemBytes"/> in <paramref name="length"/>; throws when it is not whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(int length, int itemBytes, string format, string parameter)
    {
        int count = length / itemBytes;
        if (count * itemBytes != length)
        {
            ThrowNotWhole(length, itemBytes, format, parameter);
        }

        return count;
    }

    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Expect(int actual, int expected, string format, string parameter)
    {
        if (actual != expected)
        {
            ThrowMismatch(actual, expected, format, parameter);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotWhole(int length, int itemBytes, string format, string parameter) =>
        throw new ArgumentException(
            $"{format} row: expected a multiple of {itemBytes}, found length {length}, in {parameter}", parameter);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMismatch(int actual, int expected, string format, string parameter) =>
        throw new ArgumentException(
            $"{format} row: expected length {expected}, found {actual}, in {parameter}", parameter);
}
