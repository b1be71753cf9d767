// Seeded test inputs for the K-quant formats: random valid weight blocks, Q8_K activations, and one table of the formats; not a test.
using System.Buffers.Binary;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

/// <summary>One K-quant weight format as the tests see it: its geometry, where its fp16 fields are, and its four kernels.</summary>
internal sealed record KFormat(
    string Name,
    string GgmlName,
    int BlockBytes,
    int[] HalfOffsets,
    Action<ReadOnlySpan<byte>, Span<float>> DequantizeReference,
    Action<ReadOnlySpan<byte>, Span<float>, SimdWidth> Dequantize,
    Func<ReadOnlySpan<byte>, ReadOnlySpan<byte>, float> DotReference,
    Func<ReadOnlySpan<byte>, ReadOnlySpan<byte>, SimdWidth, float> Dot)
{
    public override string ToString() => Name;
}

internal static class KQuantTestData
{
    public static readonly KFormat Q4K = new("Q4_K", "q4_K", Q4KBlock.BlockBytes, [0, 2],
        Q4KBlock.DequantizeReference, Q4KBlock.Dequantize, Q4KBlock.DotReference, Q4KBlock.Dot);

    public static readonly KFormat Q6K = new("Q6_K", "q6_K", Q6KBlock.BlockBytes, [208],
        Q6KBlock.DequantizeReference, Q6KBlock.Dequantize, Q6KBlock.DotReference, Q6KBlock.Dot);

    public static readonly KFormat Q5K = new("Q5_K", "q5_K", Q5KBlock.BlockBytes, [0, 2],
        Q5KBlock.DequantizeReference, Q5KBlock.Dequantize, Q5KBlock.DotReference, Q5KBlock.Dot);

    public static readonly KFormat Q3K = new("Q3_K", "q3_K", Q3KBlock.BlockBytes, [108],
        Q3KBlock.DequantizeReference, Q3KBlock.Dequantize, Q3KBlock.DotReference, Q3KBlock.Dot);

    public static readonly KFormat Q2K = new("Q2_K", "q2_K", Q2KBlock.BlockBytes, [80, 82],
        Q2KBlock.DequantizeReference, Q2KBlock.Dequantize, Q2KBlock.DotReference, Q2KBlock.Dot);

    public static readonly KFormat[] All = [Q4K, Q6K, Q5K, Q3K, Q2K];

    public static KFormat ByName(string name) => All.Single(f => f.Name == name);

    /// <summary>Random bytes for quants and scales, with each fp16 field set to a small finite value of either sign.</summary>
    public static byte[] RandomBlocks(KFormat format, int count, int seed)
    {
        var random = new Random(seed);
        var blocks = new byte[count * format.BlockBytes];
        random.NextBytes(blocks);
        for (int b = 0; b < count; b++)
        {
            foreach (int offset in format.HalfOffsets)
            {
                var value = (Half)((random.NextSingle() * 2 - 1) * 0.05f);
                BinaryPrimitives.WriteHalfLittleEndian(blocks.AsSpan(b * format.BlockBytes + offset), value);
            }
        }
        return blocks;
    }

    /// <summary>Four row-major rows of <paramref name="blocks"/> blocks in interleaved groups: block b of row k at (4b + k)·blockBytes.</summary>
    public static byte[] InterleaveFourRows(byte[] rows, int blocks, int blockBytes)
    {
        var grouped = new byte[rows.Length];
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < 4; k++)
                rows.AsSpan((k * blocks + b) * blockBytes, blockBytes).CopyTo(grouped.AsSpan((b * 4 + k) * blockBytes));
        return grouped;
    }

    /// <summary>Random activations: mostly uniform in [-1, 1], with an occasional outlier so scales vary between blocks.</summary>
    public static float[] RandomFloats(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            float v = random.NextSingle() * 2 - 1;
            values[i] = random.Next(64) == 0 ? v * 20 : v;
        }
        return values;
    }

    /// <summary>Well-formed Q8_K activation blocks (consistent group sums) from random floats.</summary>
    public static byte[] RandomActivations(int count, int seed)
    {
        var blocks = new byte[count * Q8KBlock.BlockBytes];
        Q8KBlock.QuantizeReference(RandomFloats(count * Q8KBlock.BlockSize, seed), blocks);
        return blocks;
    }

    /// <summary>Sum of |w_i| * |a_i| in double: the natural magnitude for the rounding error of a dot product.</summary>
    public static double AbsDot(ReadOnlySpan<float> w, ReadOnlySpan<float> a)
    {
        double sum = 0;
        for (int i = 0; i < w.Length; i++)
        {
            sum += Math.Abs((double)w[i] * a[i]);
        }
        return sum;
    }

    /// <summary>Plain dot product in double.</summary>
    public static double Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> a)
    {
        double sum = 0;
        for (int i = 0; i < w.Length; i++)
        {
            sum += (double)w[i] * a[i];
        }
        return sum;
    }
}
