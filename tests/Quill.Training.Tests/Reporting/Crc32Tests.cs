// Crc32: known check values, and the slicing-by-8 path equal to the byte-at-a-time Reference on odd and round lengths.
using System.Text;
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public class Crc32Tests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    [InlineData("IEND", 0xAE426082u)]
    public void KnownVectors(string text, uint expected)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32.Compute(bytes));
        Assert.Equal(expected, Crc32.ComputeReference(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(256)]
    [InlineData(4097)]
    public void SlicedEqualsReference(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        Assert.Equal(Crc32.ComputeReference(bytes), Crc32.Compute(bytes));
    }

    [Fact]
    public void RunningValueOverPiecesEqualsWhole()
    {
        var bytes = new byte[1000];
        new Random(5).NextBytes(bytes);
        uint running = Crc32.Update(Crc32.Initial, bytes.AsSpan(0, 333));
        running = Crc32.Update(running, bytes.AsSpan(333));
        Assert.Equal(Crc32.Compute(bytes), Crc32.Finish(running));
    }
}
