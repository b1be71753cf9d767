// The heap merge for long words against the plain scan merge (its reference twin) on the same words.
using System.Text;
using Quill.Tokenizers.Tiktoken;

namespace Quill.Tokenizers.Tests.Tiktoken;

public sealed class BytePairMergerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(700)]
    public void HeapMerge_EqualsScanMerge(int length)
    {
        TiktokenRanks ranks = TiktokenTokenizer.BuiltIn("cl100k_base").Ranks;
        var merger = new BytePairMerger();
        var random = new Random(length);
        string[] pieces = ["a", "b", "ab", "the", " ", "in", "é", "中", "ing", "\n"];
        for (int n = 0; n < 50; n++)
        {
            var word = new List<byte>();
            while (word.Count < length)
            {
                if (random.Next(10) == 0) word.Add((byte)random.Next(256));
                else word.AddRange(Encoding.UTF8.GetBytes(pieces[random.Next(pieces.Length)]));
            }
            byte[] bytes = [.. word.Take(length)];
            int[] scanIds = new int[length], scanEnds = new int[length], heapIds = new int[length], heapEnds = new int[length];
            int scanCount = merger.MergeShort(ranks, bytes, scanIds, scanEnds);
            int heapCount = merger.MergeLong(ranks, bytes, heapIds, heapEnds);
            Assert.Equal(scanIds[..scanCount], heapIds[..heapCount]);
            Assert.Equal(scanEnds[..scanCount], heapEnds[..heapCount]);
            Assert.Equal(length, scanEnds[scanCount - 1]);
        }
    }
}
