// The grounded prompt's numbering and the extractive answer's sentence splitting, on inputs small enough to read.
using Quill.Search.Retrieval;

namespace Quill.Search.Tests.Retrieval;

public class GroundedPromptTests
{
    private static readonly SearchHit[] Sources =
    [
        new(0.9f, "/docs/router.md", 1, 2, "# Router\nHold the reset button for ten seconds.\n"),
        new(0.5f, "/docs/wifi.md", 4, 5, "The wifi password is on the sticker."),
    ];

    [Fact]
    public void Sources_are_numbered_in_rank_order_with_path_and_lines_then_the_question()
    {
        GroundedPrompt prompt = GroundedPrompt.Build("  how do I reset it? ", Sources, p => Path.GetFileName(p));
        Assert.Equal(GroundedPrompt.Instruction, prompt.System);
        Assert.Contains("[1] or [2][3]", prompt.System);
        Assert.Equal("Sources:\n\n[1] router.md:1-2\n# Router\nHold the reset button for ten seconds.\n\n" +
            "[2] wifi.md:4-5\nThe wifi password is on the sticker.\n\nQuestion: how do I reset it?", prompt.User);
        Assert.Equal([("system", prompt.System), ("user", prompt.User)], prompt.ToChatMessages().Select(m => (m.Role, m.Content)));
        Assert.Equal(2, prompt.ToAIChatMessages().Count);
        Assert.Contains("(none: nothing stored matches the question)", GroundedPrompt.Build("q", []).User);
    }

    [Fact]
    public void Chunks_split_into_sentences_without_headings_fences_or_list_markers()
    {
        const string text = "# Title\nFirst sentence here. Second one\ncontinues on this line!\n\n- a list item\n" +
            "```\ncode is skipped.\n```\n| a | table |\nLast? Yes.";
        Assert.Equal(["First sentence here.", "Second one continues on this line!", "a list item", "Last?", "Yes."],
            ExtractiveAnswer.Sentences(text));
    }

    [Fact]
    public void An_extractive_answer_cites_each_sentence_and_prefers_full_sentences()
    {
        using var embedder = new HashingEmbedder();
        IReadOnlyList<ExtractedSentence> picked = ExtractiveAnswer.Select("reset button seconds", Sources, embedder);
        Assert.Equal(("Hold the reset button for ten seconds.", 1), (picked[0].Text, picked[0].Source));
        Assert.Equal(2, picked.Count);  // "# Router" is a heading, not a sentence
        Assert.Equal("Hold the reset button for ten seconds. [1] The wifi password is on the sticker. [2]", ExtractiveAnswer.Format(picked));
        Assert.Empty(ExtractiveAnswer.Select("anything", [], embedder));
    }
}
