// Hand-computed blocks for x[i] = i - 16 (see the comments for the arithmetic); not random tests.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class GoldenBlockTests
{
    private static readonly float[] Ramp = Enumerable.Range(0, 32).Select(i => (float)(i - 16)).ToArray();

    // amax 16: d = 16/127 -> fp16 0x3008 (0.1259765625); id = 1/d = 7.9375 exactly, so q = (i-16)*7.9375 rounded,
    // with the ties -63.5 and 63.5 going away from zero to -64 and 64.
    private static readonly sbyte[] Q8_0Quants =
    [
        -127, -119, -111, -103, -95, -87, -79, -71, -64, -56, -48, -40, -32, -24, -16, -8,
        0, 8, 16, 24, 32, 40, 48, 56, 64, 71, 79, 87, 95, 103, 111, 119,
    ];

    // The first |x| maximum is -16, so d = -16 / -8 = 2 (fp16 0x4000) and id = 0.5. Low nibble j: (j-16)/2 + 8.5
    // truncated = (j+1)/2; high nibble: j/2 + 8.5 truncated, capped at 15.
    private static readonly byte[] Q4_0Quants =
    [
        0x80, 0x91, 0x91, 0xA2, 0xA2, 0xB3, 0xB3, 0xC4, 0xC4, 0xD5, 0xD5, 0xE6, 0xE6, 0xF7, 0xF7, 0xF8,
    ];

    [Fact]
    public void Q8_0_QuantizesRamp()
    {
        var block = new byte[Q8_0Block.BlockBytes];
        Q8_0Block.QuantizeReference(Ramp, block);
        Assert.Equal([0x08, 0x30], block[..2]);
        Assert.Equal(Q8_0Quants, block[2..].Select(b => (sbyte)b));
        var fast = new byte[Q8_0Block.BlockBytes];
        Q8_0Block.Quantize(Ramp, fast);
        Assert.Equal(block, fast);
    }

    [Fact]
    public void Q8_0_DequantizesRamp()
    {
        byte[] block = [0x08, 0x30, .. Q8_0Quants.Select(q => (byte)q)];
        var values = new float[32];
        Q8_0Block.DequantizeReference(block, values);
        Assert.Equal(Q8_0Quants.Select(q => q * 0.1259765625f), values);
    }

    [Fact]
    public void Q4_0_QuantizesRamp()
    {
        var block = new byte[Q4_0Block.BlockBytes];
        Q4_0Block.QuantizeReference(Ramp, block);
        Assert.Equal([0x00, 0x40, .. Q4_0Quants], block);
    }

    [Fact]
    public void Q4_0_DequantizesRamp()
    {
        byte[] block = [0x00, 0x40, .. Q4_0Quants];
        var values = new float[32];
        Q4_0Block.Dequantize(block, values);
        float[] expected = Enumerable.Range(0, 32)
            .Select(i => i < 16 ? 2f * ((i + 1) / 2 - 8) : 2f * (Math.Min(15, 8 + (i - 16 + 1) / 2) - 8)).ToArray();
        Assert.Equal(expected, values);
    }

    [Fact]
    public void Q4_0_DotsRampWithItself()
    {
        byte[] weights = [0x00, 0x40, .. Q4_0Quants];
        byte[] activations = [0x08, 0x30, .. Q8_0Quants.Select(q => (byte)q)];
        int sumi = 0;
        for (int j = 0; j < 16; j++)
        {
            sumi += ((Q4_0Quants[j] & 0x0F) - 8) * Q8_0Quants[j] + ((Q4_0Quants[j] >> 4) - 8) * Q8_0Quants[j + 16];
        }

        Assert.Equal(sumi * 2f * 0.1259765625f, Q4_0Block.DotReference(weights, activations));
        Assert.Equal(sumi * 2f * 0.1259765625f, Q4_0Block.Dot(weights, activations));
    }
}
