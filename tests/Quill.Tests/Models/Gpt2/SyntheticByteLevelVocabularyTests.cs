// The synthetic GPT-2 vocabulary: exact sizes, GPT-2's byte spelling, and merges that only join earlier tokens.
using Quill.Models.Synthetic;

namespace Quill.Tests.Models.Gpt2;

public class SyntheticByteLevelVocabularyTests
{
    [Theory]
    [InlineData(257)]
    [InlineData(300)]
    [InlineData(50257)]
    public void HasExactlyTheAskedSizeAndValidMerges(int size)
    {
        var (tokens, types, merges) = SyntheticByteLevelVocabulary.Build(size);
        Assert.Equal(size, tokens.Length);
        Assert.Equal(size, types.Length);
        Assert.Equal(size - 257, merges.Length);
        Assert.Equal(SyntheticByteLevelVocabulary.EndOfText, tokens[^1]);
        Assert.Equal(size, tokens.Distinct().Count());
        var seen = new HashSet<string>(tokens[..256]);
        for (int i = 0; i < merges.Length; i++)
        {
            var parts = merges[i].Split(' ');
            Assert.Contains(parts[0], seen);
            Assert.Contains(parts[1], seen);
            Assert.Equal(parts[0] + parts[1], tokens[256 + i]);
            seen.Add(tokens[256 + i]);
        }
    }

    [Theory]
    [InlineData(' ', 'Ġ')]
    [InlineData('\n', 'Ċ')]
    [InlineData('!', '!')]
    [InlineData(0, 'Ā')]
    [InlineData(0xAD, 'Ń')]
    [InlineData(0xFF, 'ÿ')]
    public void SpellsBytesAsGpt2Does(int b, char expected) => Assert.Equal(expected, SyntheticByteLevelVocabulary.ByteToChar(b));
}
