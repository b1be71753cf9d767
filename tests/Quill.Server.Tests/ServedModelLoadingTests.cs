// How `quill serve` loads its model: --lora applies a GGUF LoRA adapter at run time, --huge-pages copies the weights onto
// huge pages; not adapter format tests.
using System.Text.Json;
using Quill.Models.Llama;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Server.Tests;

public sealed class ServedModelLoadingTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-server-loading-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    private static Task<string> GreedyCompletion(string model, params string[] adapters) =>
        GreedyCompletion(new ServerOptions { ModelPath = model, Port = 0, Threads = 1, LoraAdapters = adapters });

    private static async Task<string> GreedyCompletion(ServerOptions options)
    {
        await using var server = await QuillServer.StartAsync(options);
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Once upon a time","temperature":0,"max_tokens":12}""");
        return r.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Fact]
    public async Task AdapterChangesTheServedCompletions()
    {
        string model = Path.Combine(_folder, "model.gguf");
        SyntheticModelWriter.Write(model,
            new SyntheticModelOptions { Dim = 64, Layers = 2, Heads = 4, KvHeads = 4, FeedForwardDim = 128, ContextLength = 256 });
        var rng = new Random(3);
        float[] Random(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        const int rank = 4;
        var weights = new List<LoraWeight>();
        for (int l = 0; l < 2; l++)
            foreach (string p in (string[])["attn_q", "attn_v", "ffn_up"])
            {
                int outF = p == "ffn_up" ? 128 : 64;
                weights.Add(new LoraWeight($"blk.{l}.{p}.weight", rank, 8f, 64, outF, Random(rank * 64), Random(outF * rank)));
            }
        string adapter = Path.Combine(_folder, "adapter.gguf");
        LoraAdapterGguf.Write(new LoraAdapterWeights("llama", 8f, weights), adapter);

        string plain = await GreedyCompletion(model);
        string adapted = await GreedyCompletion(model, adapter);
        Assert.NotEqual(plain, adapted);
    }

    [Fact]
    public async Task HugePageWeightsServeTheSameCompletion()
    {
        // Over 2 MiB of Q8_0 weights, so the copy really is asked for huge pages.
        string model = Path.Combine(_folder, "large.gguf");
        SyntheticModelWriter.Write(model, new SyntheticModelOptions
        {
            Dim = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 4096, ContextLength = 256, Type = GgmlType.Q8_0,
        });
        Assert.True(new FileInfo(model).Length > AlignedMemory.HugePageBytes);
        var options = new ServerOptions { ModelPath = model, Port = 0, Threads = 2 };
        Assert.Equal(await GreedyCompletion(options), await GreedyCompletion(options with { HugePages = true }));
    }
}
