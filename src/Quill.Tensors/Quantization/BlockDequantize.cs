// The shared SIMD loop that expands 32-element weight blocks to floats, multiply then add (never fused), so it equals each DequantizeReference bit for bit.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Writes <c>q * d</c> (or <c>q * d + m</c>) for every element of every block.</summary>
internal static unsafe class BlockDequantize
{
    public static void Run<TWeight>(byte* blocks, float* destination, int count, SimdWidth width)
        where TWeight : struct, IQuantBlock
    {
        for (int i = 0; i < count; i++)
        {
            byte* block = blocks + i * TWeight.BlockBytes;
            float* y = destination + i * 32;
            float d = TWeight.Scale(block);
            float m = TWeight.Min(block);
            if (width == SimdWidth.Vector512)
            {
                Vector256<sbyte> q = TWeight.Quants(block);
                Store(Avx512F.ConvertToVector512Int32(q.GetLower()), d, m, TWeight.HasMin, y);
                Store(Avx512F.ConvertToVector512Int32(q.GetUpper()), d, m, TWeight.HasMin, y + 16);
            }
            else if (width == SimdWidth.Vector256)
            {
                Vector256<sbyte> q = TWeight.Quants(block);
                Vector128<sbyte> low = q.GetLower();
                Vector128<sbyte> high = q.GetUpper();
                Store(Avx2.ConvertToVector256Int32(low), d, m, TWeight.HasMin, y);
                Store(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(low, 8)), d, m, TWeight.HasMin, y + 8);
                Store(Avx2.ConvertToVector256Int32(high), d, m, TWeight.HasMin, y + 16);
                Store(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(high, 8)), d, m, TWeight.HasMin, y + 24);
            }
            else
            {
                Store16(TWeight.QuantsLow(block), d, m, TWeight.HasMin, y);
                Store16(TWeight.QuantsHigh(block), d, m, TWeight.HasMin, y + 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<int> q, float d, float m, bool hasMin, float* y)
    {
        Vector512<float> value = Vector512.ConvertToSingle(q) * Vector512.Create(d);
        if (hasMin)
        {
            value += Vector512.Create(m);
        }

        value.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<int> q, float d, float m, bool hasMin, float* y)
    {
        Vector256<float> value = Vector256.ConvertToSingle(q) * Vector256.Create(d);
        if (hasMin)
        {
            value += Vector256.Create(m);
        }

        value.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(Vector128<sbyte> q, float d, float m, bool hasMin, float* y)
    {
        (Vector128<short> low, Vector128<short> high) = Vector128.Widen(q);
        (Vector128<int> q0, Vector128<int> q1) = Vector128.Widen(low);
        (Vector128<int> q2, Vector128<int> q3) = Vector128.Widen(high);
        Store(q0, d, m, hasMin, y);
        Store(q1, d, m, hasMin, y + 4);
        Store(q2, d, m, hasMin, y + 8);
        Store(q3, d, m, hasMin, y + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<int> q, float d, float m, bool hasMin, float* y)
    {
        Vector128<float> value = Vector128.ConvertToSingle(q) * Vector128.Create(d);
        if (hasMin)
        {
            value += Vector128.Create(m);
        }

        value.Store(y);
    }
}
