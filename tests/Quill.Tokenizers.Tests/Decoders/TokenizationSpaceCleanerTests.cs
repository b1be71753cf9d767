// llama.cpp's clean_spaces passes on hand-checked strings; not tokenizer decoding.
using System.Text;
using Quill.Tokenizers.Decoders;

namespace Quill.Tokenizers.Tests.Decoders;

public class TokenizationSpaceCleanerTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("a", "a")]
    [InlineData("Hi , there !", "Hi, there!")]
    [InlineData("it ' s", "it's")]
    [InlineData("it 's I 'm we 're you 've", "it's I'm we're you've")]
    [InlineData("don 't we 'll I 'd", "don 't we 'll I 'd")]
    [InlineData(" .", ".")]
    public void Cleans(string text, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int length = TokenizationSpaceCleaner.Clean(bytes);
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes, 0, length));
    }
}
