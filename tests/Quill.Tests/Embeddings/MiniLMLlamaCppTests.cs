// The GGUF our converter writes for all-MiniLM-L6-v2 loads in llama.cpp (LLamaSharp) and embeds as Quill does.
using Quill.Embeddings;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Embeddings;

public sealed class MiniLMLlamaCppTests(MiniLMFixture fixture) : IClassFixture<MiniLMFixture>
{
    private const double MinimumCosine = 0.99999;

    [Fact]
    public void LlamaCppGivesTheSameMeanPooledEmbeddings()
    {
        foreach (string text in EnglishSentences.Varied(40))
        {
            int[] ids = fixture.FromGguf.TokenIds(text, out _);
            Assert.Equal(ids, LlamaCppReference.Tokenize(fixture.GgufPath, text, addSpecial: true, parseSpecial: false));
            float[] expected = LlamaCppReference.Embedding(fixture.GgufPath, ids);
            TextPooling.Normalize(expected);
            float[] ours = fixture.FromGguf.Embed([text]).Vectors[0];
            double cosine = TextPooling.Cosine(expected, ours);
            Assert.True(cosine >= MinimumCosine, $"'{text}': cosine {cosine} with llama.cpp");
        }
    }
}
