// How special-token texts are cut out of the input (llama.cpp's tokenizer_st_partition); not model encoding.
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.Tests.PreTokenizers;

public class SpecialTokenSplitterTests
{
    private const int Control = 3, UserDefined = 4, Normal = 1;

    private static List<string> Split(string text, bool parseSpecial, params (string Text, int Type)[] tokens)
    {
        var table = new TokenTable("test", [.. tokens.Select(t => t.Text)], [.. tokens.Select(t => t.Type)], []);
        var fragments = new List<Fragment>();
        new SpecialTokenSplitter(table).Split(text, parseSpecial, fragments);
        return fragments.ConvertAll(f => f.IsText ? text.Substring(f.Start, f.Length) : $"[{table.Texts[f.TokenId]}]");
    }

    [Fact]
    public void LongestTokenClaimsFirst()
    {
        Assert.Equal(["x", "[abc]", "[ab]"], Split("xabcab", false, ("ab", UserDefined), ("abc", UserDefined)));
    }

    [Fact]
    public void Occurrences_DoNotOverlap()
    {
        Assert.Equal(["[aa]", "a"], Split("aaa", false, ("aa", UserDefined)));
    }

    [Theory]
    [InlineData(true, new[] { "a", "[<c>]", "b" })]
    [InlineData(false, new[] { "a<c>b" })]
    public void ControlTokens_OnlyWithParseSpecial(bool parseSpecial, string[] expected)
    {
        Assert.Equal(expected, Split("a<c>b", parseSpecial, ("<c>", Control)));
    }

    [Fact]
    public void NormalTokens_AreNeverCut()
    {
        Assert.Equal(["a<n>b"], Split("a<n>b", true, ("<n>", Normal)));
    }

    [Fact]
    public void LongerTokenWins_EvenWhenAShorterOneStartsEarlier()
    {
        // "<a>" occurs at 0, but "a><b>" is longer and is cut first; what is left of "<a>" is plain text.
        Assert.Equal(["<", "[a><b>]"], Split("<a><b>", true, ("<a>", Control), ("a><b>", Control)));
    }

    [Fact]
    public void EndOfTurnText_BecomesControl()
    {
        Assert.Equal(["x<|im_end|>"], Split("x<|im_end|>", false, ("<|im_end|>", Normal)));
        Assert.Equal(["x", "[<|im_end|>]"], Split("x<|im_end|>", true, ("<|im_end|>", Normal)));
    }
}
