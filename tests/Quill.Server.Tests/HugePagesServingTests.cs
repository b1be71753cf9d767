// `quill serve --huge-pages`: the served model's weights copied onto huge pages answer as they do on ordinary pages.
using System.Text.Json;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Server.Tests;

public sealed class HugePagesServingTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-server-huge-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<string> GreedyCompletion(string model, bool hugePages)
    {
        await using var server = await QuillServer.StartAsync(new ServerOptions { ModelPath = model, Port = 0, Threads = 2, HugePages = hugePages });
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Once upon a time","temperature":0,"max_tokens":12}""");
        return r.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task HugePageWeightsServeTheSameCompletion()
    {
        // Over 2 MiB of Q8_0 weights, so the copy really is asked for huge pages.
        string model = Path.Combine(_folder, "model.gguf");
        SyntheticModelWriter.Write(model, new SyntheticModelOptions
        {
            Dim = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 4096, ContextLength = 256, Type = GgmlType.Q8_0,
        });
        Assert.True(new FileInfo(model).Length > AlignedMemory.HugePageBytes);
        Assert.Equal(await GreedyCompletion(model, hugePages: false), await GreedyCompletion(model, hugePages: true));
    }
}
