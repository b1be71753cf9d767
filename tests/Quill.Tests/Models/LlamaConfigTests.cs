// LlamaConfig.WriteTo is the inverse of FromGguf, including the keys only some models carry.
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Llama;
using Quill.Tensors;
using Quill.Tensors.Kernels;

namespace Quill.Tests.Models;

public sealed class LlamaConfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-llama-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, int, float, int> Variants => new()
    {
        { "llama", 16, 1f, 0 },      // head size from dim / heads, no scaling, no window
        { "mistral", 24, 0.25f, 4096 }, // an explicit key length, linear RoPE scaling, a sliding window
    };

    [Theory, MemberData(nameof(Variants))]
    public void WrittenConfigReadsBackEqual(string architecture, int headSize, float freqScale, int window)
    {
        var config = new LlamaConfig
        {
            Architecture = architecture, ContextLength = 2048, Dim = 64, Layers = 3, Heads = 4, KvHeads = 2, HeadSize = headSize,
            FeedForwardDim = 160, VocabSize = 7, RmsEpsilon = 1e-6f, RopeFreqBase = 50000f, RopeFreqScale = freqScale,
            RopeDims = headSize, RopeLayout = RopeLayout.Normal, SlidingWindow = window,
        };
        var writer = new GgufWriter();
        config.WriteTo(writer);
        writer.AddTensor(TensorNames.TokenEmbedding, GgmlType.F32, [64, 7], new byte[64 * 7 * 4]);
        string path = Path.Combine(_folder, $"{architecture}.gguf");
        writer.WriteTo(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(config, LlamaConfig.FromGguf(file));
    }
}
