// A hand-built Q4_K block whose values are worked out by hand: pins the layout, not just agreement between kernels.
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class KQ4KGoldenTests
{
    // d = 0.5 and dmin = 0.25 as fp16; every weight 0.5 * scale * q - 0.25 * min is then exact in float.
    private static readonly int[] Scales = [1, 2, 3, 4, 33, 40, 63, 17];
    private static readonly int[] Mins = [5, 6, 7, 8, 20, 0, 63, 9];

    /// <summary>
    /// The 12 scale bytes packed by hand. Bytes 0..3: scale j (6 bits) with bits 4..5 of scale j+4 on top; bytes 4..7: the
    /// same for mins; bytes 8..11: low nibble of scale j+4, high nibble the low nibble of min j+4.
    /// </summary>
    private static readonly byte[] PackedScales = [0x81, 0x82, 0xC3, 0x44, 0x45, 0x06, 0xC7, 0x08, 0x41, 0x08, 0xFF, 0x91];

    private static byte[] Block()
    {
        var block = new byte[Q4KBlock.BlockBytes];
        block[0] = 0x00; block[1] = 0x38; // 0.5
        block[2] = 0x00; block[3] = 0x34; // 0.25
        PackedScales.CopyTo(block, 4);
        for (int i = 0; i < 128; i++)
        {
            block[16 + i] = (byte)((i & 0xF) | (((i * 7) & 0xF) << 4));
        }
        return block;
    }

    /// <summary>Weight e sits in byte 32 * (e / 64) + e % 32: low nibble for the first 32 of each 64, high nibble for the rest.</summary>
    private static float Expected(int e)
    {
        int i = 32 * (e / 64) + e % 32;
        int q = e % 64 < 32 ? i & 0xF : (i * 7) & 0xF;
        int s = e / 32;
        return 0.5f * Scales[s] * q - 0.25f * Mins[s];
    }

    [Theory]
    [InlineData(0, -1.25f)]     // sub-block 0, q 0: -0.25 * 5
    [InlineData(33, 5.5f)]      // sub-block 1, high nibble of byte 1 = 7: 0.5 * 2 * 7 - 0.25 * 6
    [InlineData(200, 236.25f)]  // sub-block 6, low nibble of byte 104 = 8: 0.5 * 63 * 8 - 0.25 * 63
    [InlineData(255, 74.25f)]   // sub-block 7, high nibble of byte 127 = 9: 0.5 * 17 * 9 - 0.25 * 9
    public void HandPickedWeights(int index, float value)
    {
        var actual = new float[256];
        Q4KBlock.DequantizeReference(Block(), actual);
        Assert.Equal(value, actual[index]);
        Assert.Equal(value, Expected(index));
    }

    [Fact]
    public void EveryWeightAtEveryLevel()
    {
        byte[] block = Block();
        float[] expected = Enumerable.Range(0, 256).Select(Expected).ToArray();
        var reference = new float[256];
        Q4KBlock.DequantizeReference(block, reference);
        Assert.Equal(expected, reference);
        foreach (SimdWidth level in SimdCapability.Supported())
        {
            var actual = new float[256];
            Q4KBlock.Dequantize(block, actual, level);
            Assert.Equal(expected, actual);
        }
    }
}
