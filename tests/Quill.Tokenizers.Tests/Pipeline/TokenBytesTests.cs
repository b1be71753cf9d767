// TokenBytes of pipeline tokenizers: streamed byte by byte through Utf8TokenStreamDecoder, they give the decoded text back.
using System.Text;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Decoders;
using Quill.Tokenizers.Tests.HuggingFace;

namespace Quill.Tokenizers.Tests.Pipeline;

public sealed class TokenBytesTests
{
    // Not BERT: its decoder's clean-up joins tokens (" ' m" → "'m"), which no per-token rendering can reproduce.
    public static TheoryData<string> Families => new() { "llama2", "llama3", "qwen3", "gemma3" };

    private static ITokenizer Load(string family) => LenmlTokenizerFixture.Load(family);

    [Theory]
    [MemberData(nameof(Families))]
    public void StreamedTokenBytesReassembleTheDecodedText(string family)
    {
        ITokenizer tokenizer = Load(family);
        int checkedDocuments = 0;
        foreach (string text in MixedCorpus.Documents(300, seed: 11))
        {
            int[] ids = tokenizer.Encode(text, addSpecial: false);
            string expected = tokenizer.Decode(ids);
            var decoder = new Utf8TokenStreamDecoder();
            var streamed = new StringBuilder();
            char[] chars = new char[64];
            foreach (int id in ids)
            {
                byte[] bytes = tokenizer.TokenBytes(id);
                if (chars.Length < Utf8TokenStreamDecoder.MaxCharCount(bytes.Length)) chars = new char[Utf8TokenStreamDecoder.MaxCharCount(bytes.Length) * 2];
                streamed.Append(chars, 0, decoder.Decode(bytes, chars));
            }
            // Mid-text rendering keeps the first token's leading space, which a one-shot decode drops (Metaspace, WordPiece).
            string actual = streamed.ToString();
            Assert.True(expected == actual || " " + expected == actual, $"{family}: document {checkedDocuments}: expected «{expected}», streamed «{actual}»");
            checkedDocuments++;
        }
    }
}
