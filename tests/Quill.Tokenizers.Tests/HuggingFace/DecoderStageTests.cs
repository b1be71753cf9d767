// Each tokenizer.json decoder type on small token lists; not differential.
namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class DecoderStageTests
{
    [Theory]
    [InlineData("""{"type":"ByteLevel"}""", "Ġhello¦Ġw¦Ã©¦<|im_end|>", " hello wé<|im_end|>")]
    [InlineData("""{"type":"ByteLevel"}""", "Ã", "\uFFFD")]
    [InlineData("""{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""", "▁Hey¦▁friend!", "Hey friend!")]
    [InlineData("""{"type":"Metaspace","replacement":"▁","prepend_scheme":"never"}""", "▁Hey¦▁friend!", " Hey friend!")]
    [InlineData("""{"type":"ByteFallback"}""", "a¦<0xE2>¦<0x82>¦<0xAC>¦b", "a€b")]
    [InlineData("""{"type":"ByteFallback"}""", "<0xE2>¦<0x82>¦x", "\uFFFD\uFFFDx")]
    [InlineData("""{"type":"Fuse"}""", "a¦b¦c", "abc")]
    [InlineData("""{"type":"Strip","content":" ","start":1,"stop":1}""", "  a ¦b ", " ab")]
    [InlineData("""{"type":"Replace","pattern":{"String":"▁"},"content":" "}""", "▁a▁b", " a b")]
    [InlineData("""{"type":"Replace","pattern":{"Regex":"x+"},"content":"$"}""", "axxb", "a$b")]
    [InlineData("""{"type":"BPEDecoder","suffix":"</w>"}""", "hello</w>¦wor¦ld</w>", "hello world")]
    [InlineData("""{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},""" +
        """{"type":"Strip","content":" ","start":1,"stop":0}]}""",
        "▁Hi¦<0x21>¦▁there", "Hi! there")]
    public void Decoders(string json, string tokens, string expected)
    {
        var decoder = TokenizerJsonText.Factory().Decoder(TokenizerJsonText.Section(json));
        var list = tokens.Split('¦').ToList();
        decoder.Decode(list);
        Assert.Equal(expected, string.Concat(list));
    }
}
