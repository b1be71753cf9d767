// Tests the inlined fp16 to fp32 widening the K-quant kernels use against System.Half, for every one of the 65536 bit patterns.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class KHalfTests
{
    [Fact]
    public void HalfToSingleEqualsSystemHalfForEveryBitPattern()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = KQuant.HalfToSingle((ushort)bits);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(actual), $"0x{bits:X4}: expected NaN, found {actual}");
            }
            else
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                    $"0x{bits:X4}: expected {expected}, found {actual}");
            }
        }
    }
}
