// Stop strings over streamed pieces: what is released when, where the text is cut, which stop hit; not the generator.
using System.Text;
using Quill.Generation;

namespace Quill.Tests.Generation;

public class StopSequenceMatcherTests
{
    // Feeds the pieces; returns what was released after each piece, the final text and the stop that hit.
    private static (string[] ReleasedAfterEach, string Text, string? Stop) Feed(string[] stops, params string[] pieces)
    {
        var matcher = new StopSequenceMatcher(stops);
        var text = new StringBuilder();
        var after = new List<string>();
        foreach (string piece in pieces)
        {
            bool stopped = matcher.Append(piece, text);
            after.Add(text.ToString());
            if (stopped) break;
        }
        matcher.Flush(text);
        return ([.. after], text.ToString(), matcher.MatchedStop);
    }

    [Theory]
    [InlineData(new[] { "###" }, new[] { "###", "more" }, "", "###")]                // stop at the very start
    [InlineData(new[] { "END" }, new[] { "Hello END world" }, "Hello ", "END")]      // in the middle of one piece
    [InlineData(new[] { "END" }, new[] { "Hel", "lo E", "N", "D", "x" }, "Hello ", "END")] // spanning pieces
    [InlineData(new[] { "b", "a" }, new[] { "xxab" }, "xx", "a")]                    // two stops: the earlier position wins
    [InlineData(new[] { "abc", "ab" }, new[] { "zabc" }, "z", "abc")]                // same position: the one listed first
    [InlineData(new[] { "END" }, new[] { "Hello E", "N" }, "Hello EN", null)]        // partial prefix released at the end
    [InlineData(new[] { "\n\n" }, new[] { "a\n", "b\n", "\n" }, "a\nb", "\n\n")]
    [InlineData(new[] { "" }, new[] { "abc" }, "abc", null)]                          // empty stop strings are ignored
    [InlineData(new string[0], new[] { "a", "b" }, "ab", null)]
    public void CutsAtTheEarliestStop(string[] stops, string[] pieces, string expectedText, string? expectedStop)
    {
        (_, string text, string? stop) = Feed(stops, pieces);
        Assert.Equal(expectedText, text);
        Assert.Equal(expectedStop, stop);
    }

    [Fact]
    public void HoldsBackOnlyWhatCouldStartAStop()
    {
        (string[] after, _, _) = Feed(["END"], "Hello E", "N", "x", " and");
        Assert.Equal(new[] { "Hello ", "Hello ", "Hello ENx", "Hello ENx and" }, after);
    }

    [Fact]
    public void HoldsTheEarliestPossibleStartAmongOverlappingPrefixes()
    {
        // "aab": after "aa" either 'a' could start it; the earliest is held so nothing of a stop is ever shown.
        (string[] after, string text, string? stop) = Feed(["aab"], "xa", "a", "b");
        Assert.Equal(new[] { "x", "x", "x" }, after);
        Assert.Equal("x", text);
        Assert.Equal("aab", stop);
    }

    [Fact]
    public void IgnoresPiecesAfterAStop()
    {
        var matcher = new StopSequenceMatcher(["!"]);
        var text = new StringBuilder();
        Assert.True(matcher.Append("hi!", text));
        Assert.True(matcher.Append("more", text));
        matcher.Flush(text);
        Assert.Equal("hi", text.ToString());
    }

    [Fact]
    public void LongPiecesGrowTheBuffer()
    {
        string piece = new('x', 1000);
        (_, string text, _) = Feed(["yz"], piece, "y", piece);
        Assert.Equal(piece + "y" + piece, text);
    }
}
