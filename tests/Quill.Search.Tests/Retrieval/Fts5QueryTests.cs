// The FTS5 query sanitizer: what it makes of typed text, and that no text makes SQLite raise a syntax error.
using Quill.Search.Retrieval;

namespace Quill.Search.Tests.Retrieval;

public class Fts5QueryTests
{
    [Theory]
    [InlineData("reset router", "\"reset\" OR \"router\"")]
    [InlineData("XR-7741", "\"XR 7741\"")]
    [InlineData("\"quoted words\"", "\"quoted\" OR \"words\"")]
    [InlineData("pre* fix*", "\"pre\" OR \"fix\"")]
    [InlineData("NEAR(a b, 2)", "\"NEAR a\" OR \"b\" OR \"2\"")]
    [InlineData("text:router", "\"text router\"")]
    [InlineData("-router ^start", "\"router\" OR \"start\"")]
    [InlineData("AND OR NOT", "\"AND\" OR \"OR\" OR \"NOT\"")]
    [InlineData("the The the", "\"the\"")]
    [InlineData("café 東京", "\"café\" OR \"東京\"")]
    public void Typed_text_becomes_quoted_phrases_joined_by_or(string text, string expected) => Assert.Equal(expected, Fts5Query.FromText(text));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("*** --- \"\" :: ()")]
    public void Text_without_letters_or_digits_matches_nothing(string text) => Assert.Null(Fts5Query.FromText(text));

    [Fact]
    public void A_long_paste_keeps_at_most_the_first_phrases()
    {
        string text = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"w{i}"));
        Assert.Equal(Fts5Query.MaxPhrases, Fts5Query.FromText(text)!.Split(" OR ").Length);
    }

    [Theory]
    [InlineData("\"", false)]
    [InlineData("\"unterminated router", true)]
    [InlineData("*", false)]
    [InlineData("router*", true)]
    [InlineData("NEAR", false)]
    [InlineData("NEAR(", false)]
    [InlineData("NEAR(router password, 1)", true)]
    [InlineData("text:router", false)]  // the phrase "text router", not a column filter
    [InlineData("nosuchcolumn:router", false)]
    [InlineData("-", false)]
    [InlineData("-router", true)]
    [InlineData("router - password", true)]
    [InlineData("( router", true)]
    [InlineData("router AND", true)]
    [InlineData("OR", false)]
    [InlineData("NOT router", true)]
    [InlineData("^router", true)]
    [InlineData("{text}: router", true)]
    [InlineData("'; DROP TABLE chunks; --", false)]
    [InlineData("\0\u0001 router", true)]
    public void No_typed_text_raises_a_sqlite_error(string query, bool matches)
    {
        using var temp = new TempFolder();
        temp.Write("docs/router.md", "Hold the reset button to reset the router.\n\nThe wifi password is on the sticker.\n");
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder);
        index.Add([temp.File("docs")]);
        foreach (RetrievalMode mode in Enum.GetValues<RetrievalMode>()) new HybridRetriever(index).Retrieve(query, 3, mode);
        Assert.Equal(matches, index.Store.KeywordSearch(query, 3).Length > 0);
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
    }
}
