// The importance-weighted row loop of the 32-weight formats (ggml's quantize_row_q4_0_impl … q5_1_impl) and their level packing.
using System.Runtime.InteropServices;

namespace Quill.Tensors.Quantization;

/// <summary>
/// What Q4_0, Q4_1, Q5_0 and Q5_1 share when quantizing with an importance matrix, as ggml does it: the row's mean square
/// σ², per block the weights importance · √(σ² + x²), then the format's own scale search and packing
/// (<see cref="Block"/>). Levels are packed as ggml packs them: weight j and j + 16 in one byte's low and high nibble,
/// and for the 5-bit formats each level's fifth bit in a 32-bit mask.
/// </summary>
internal static class WeightedLegacyRow
{
    private const int BlockSize = 32;

    /// <summary>One block: its 32 values and their weights in, its bytes out.</summary>
    public delegate void Block(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> block);

    /// <summary>Checks the lengths, then runs <paramref name="block"/> on every 32-weight block of the row.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks, ReadOnlySpan<float> importance, int blockBytes, string format, Block block)
    {
        int count = RowLength.Count(source.Length, BlockSize, format, nameof(source));
        RowLength.Expect(blocks.Length, count * blockBytes, format, nameof(blocks));
        RowLength.Expect(importance.Length, source.Length, format, nameof(importance));
        float sigma2 = ScaleSearch.MeanSquare(source);
        Span<float> weights = stackalloc float[BlockSize];
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> x = source.Slice(b * BlockSize, BlockSize);
            ScaleSearch.ImportanceWeights(x, importance.Slice(b * BlockSize, BlockSize), sigma2, weights);
            block(x, weights, blocks.Slice(b * blockBytes, blockBytes));
        }
    }

    /// <summary>The low four bits of levels j and j + 16 into qs[j] (low and high nibble), j &lt; 16.</summary>
    public static void PackNibbles(ReadOnlySpan<byte> levels, Span<byte> qs)
    {
        for (int j = 0; j < 16; j++) qs[j] = (byte)((levels[j] & 0x0F) | ((levels[j + 16] & 0x0F) << 4));
    }

    /// <summary>As <see cref="PackNibbles"/>, and each level's fifth bit into the little-endian mask qh (bit j for level j).</summary>
    public static void PackFiveBits(ReadOnlySpan<byte> levels, Span<byte> qs, Span<byte> qh)
    {
        PackNibbles(levels, qs);
        uint mask = 0;
        for (int j = 0; j < 32; j++) mask |= (uint)((levels[j] & 0x10) >> 4) << j;
        MemoryMarshal.Write(qh, in mask);
    }
}
