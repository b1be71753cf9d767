// Each tokenizer.json normalizer type on small inputs, and our Unicode normalization against known forms; not differential.
using System.Text;
using Quill.Tokenizers.HuggingFace.Normalizers;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class NormalizerStageTests
{
    private static string Run(string json, string input) =>
        TokenizerJsonText.Normalize(TokenizerJsonText.Factory().Normalizer(TokenizerJsonText.Section(json)), input);

    [Theory]
    [InlineData("NFC", "e\u0301 \u212B n\u0303 \u1112\u1161\u11AB", "\u00E9 \u00C5 \u00F1 \uD55C")]
    [InlineData("NFD", "\u00E9 \uD55C \u1E69", "e\u0301 \u1112\u1161\u11AB s\u0323\u0307")]
    [InlineData("NFKC", "\uFB01 \u2460 \uFF26 e\u0301", "fi 1 F \u00E9")]
    [InlineData("NFKD", "\uFB01 \u00E9", "fi e\u0301")]
    [InlineData("NFC", "a\u0323\u0302 q\u0307\u0323", "\u1EAD q\u0323\u0307")]
    public void Unicode_forms(string type, string input, string expected) =>
        Assert.Equal(expected, Run($$"""{"type":"{{type}}"}""", input));

    [Theory]
    [InlineData("""{"type":"Lowercase"}""", "HeLLo İ ΟΔΟΣ", "hello i\u0307 οδος")]
    [InlineData("""{"type":"Strip","strip_left":true,"strip_right":true}""", "  hi \n", "hi")]
    [InlineData("""{"type":"Strip","strip_left":false,"strip_right":true}""", "  hi \n", "  hi")]
    [InlineData("""{"type":"StripAccents"}""", "e\u0301a\u0308", "ea")]
    [InlineData("""{"type":"Replace","pattern":{"String":" "},"content":"▁"}""", "a b  c", "a▁b▁▁c")]
    [InlineData("""{"type":"Replace","pattern":{"String":"ab"},"content":"X"}""", "abcab", "XcX")]
    [InlineData("""{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}""", "a   b c", "a b c")]
    [InlineData("""{"type":"Prepend","prepend":"▁"}""", "hi", "▁hi")]
    [InlineData("""{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"}]}""", "Café", "cafe")]
    public void Text_normalizers(string json, string input, string expected) => Assert.Equal(expected, Run(json, input));

    [Fact]
    public void Composed_characters_keep_the_offsets_of_their_cluster()
    {
        var text = new NormalizedText();
        text.Reset("xe\u0301y", 0);
        new UnicodeFormNormalizer(NormalizationForm.FormC).Normalize(text);
        Assert.Equal("x\u00E9y", text.Text.ToString());
        Assert.Equal((1, 3), text.OriginalRange(1, 2));
        Assert.Equal((3, 4), text.OriginalRange(2, 3));
    }

    [Fact]
    public void Unicode_forms_agree_with_each_other_on_the_corpus()
    {
        string corpus = string.Concat(Quill.TestSupport.Corpora.MixedCorpus.Documents(300));
        string nfd = UnicodeNormalization.Normalize(corpus, NormalizationForm.FormD);
        Assert.Equal(UnicodeNormalization.Normalize(corpus, NormalizationForm.FormC), UnicodeNormalization.Normalize(nfd, NormalizationForm.FormC));
        Assert.Equal(UnicodeNormalization.Normalize(corpus, NormalizationForm.FormKC), UnicodeNormalization.Normalize(
            UnicodeNormalization.Normalize(corpus, NormalizationForm.FormKD), NormalizationForm.FormC));
    }
}
