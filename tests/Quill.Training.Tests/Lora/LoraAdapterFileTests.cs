// Saving, loading and re-attaching LoRA adapters in llama.cpp's GGUF adapter format.
using Quill.Formats.Gguf;
using Quill.Models.Llama;
using Quill.Training.Lora;
using Quill.Training.Model;
using static Quill.Training.Tests.Lora.LoraTestModels;

namespace Quill.Training.Tests.Lora;

public sealed class LoraAdapterFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-file-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Save(LlamaTrainingModel model, string basePath, string name = "adapter.gguf")
    {
        string path = Path.Combine(_folder, name);
        using var source = GgufFile.Open(basePath);
        LoraAdapterFile.Save(model, path, source);
        return path;
    }

    [Fact]
    public void SavedFileHasLlamaCppAdapterKeysAndShapes()
    {
        string basePath = WriteBase(_folder);
        string path = Save(WithRandomLora(basePath), basePath);

        using var file = GgufFile.Open(path);
        Assert.Equal("adapter", file.GetString("general.type"));
        Assert.Equal("lora", file.GetString("adapter.type"));
        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(Alpha, file.GetFloat32("adapter.lora.alpha"));
        Assert.Equal(2 * 7 * 2, file.Tensors.Count);
        var a = file.GetTensor("blk.1.ffn_down.weight.lora_a");
        var b = file.GetTensor("blk.1.ffn_down.weight.lora_b");
        Assert.Equal([96L, Rank], a.Shape); // [In, rank]
        Assert.Equal([(long)Rank, 64L], b.Shape); // [rank, Out]
        Assert.All(file.Tensors, t => Assert.Equal(Quill.Tensors.GgmlType.F32, t.Type));
    }

    [Theory]
    [InlineData("q,k,v,o,gate,up,down")]
    [InlineData("q,v")]
    [InlineData("down")]
    public void SavedAdapterLoadsBackExactly(string targets)
    {
        string basePath = WriteBase(_folder);
        var model = WithRandomLora(basePath, targets.Split(','));
        var adapter = LoraAdapterFile.Load(Save(model, basePath));

        Assert.Equal(model.Parameters.Count / 2, adapter.Weights.Count);
        Assert.Equal(Alpha, adapter.Alpha);
        foreach (var w in adapter.Weights)
        {
            Assert.Equal(Rank, w.Rank);
            Assert.Equal(Alpha / Rank, w.Scale);
        }
        int i = 0;
        foreach (var w in adapter.Weights)
        {
            Assert.Equal(model.Parameters[i++].Value, w.A);
            Assert.Equal(model.Parameters[i++].Value, w.B);
        }
    }

    [Fact]
    public void AttachedToAFreshBaseItGivesTheSameLogits()
    {
        string basePath = WriteBase(_folder);
        var trained = WithRandomLora(basePath, ["q", "o", "up"]);
        var adapter = LoraAdapterFile.Load(Save(trained, basePath));
        var fresh = LlamaTrainingGguf.Load(basePath);

        LoraAdapterFile.AttachTo(fresh, adapter);

        Assert.True(fresh.HasLora);
        Assert.Equal(trained.Parameters.Count, fresh.Parameters.Count);
        Assert.Equal(TrainingLogits(trained), TrainingLogits(fresh));
    }

    [Fact]
    public void SavingAModelWithoutAdaptersIsRefused()
    {
        string basePath = WriteBase(_folder);
        var model = LlamaTrainingGguf.Load(basePath);
        Assert.Throws<InvalidOperationException>(() => Save(model, basePath));
        Assert.Empty(Directory.GetFiles(_folder, "adapter*"));
    }

    [Fact]
    public void AttachingToAModelWithAdaptersIsRefused()
    {
        string basePath = WriteBase(_folder);
        var adapter = LoraAdapterFile.Load(Save(WithRandomLora(basePath), basePath));
        Assert.Throws<InvalidOperationException>(() => LoraAdapterFile.AttachTo(WithRandomLora(basePath), adapter));
    }

    [Fact]
    public void AttachingAnAdapterThatSkipsABlockIsRefused()
    {
        string basePath = WriteBase(_folder);
        var adapter = LoraAdapterFile.Load(Save(WithRandomLora(basePath, ["q"]), basePath));
        var partial = adapter with { Weights = [.. adapter.Weights.Where(w => w.Target.StartsWith("blk.0.", StringComparison.Ordinal))] };
        var e = Assert.Throws<ArgumentException>(() => LoraAdapterFile.AttachTo(LlamaTrainingGguf.Load(basePath), partial));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AlphaZeroMeansScaleOneAsInLlamaCpp()
    {
        var w = new LoraWeight("blk.0.attn_q.weight", 8, 0f, 4, 4, new float[32], new float[32]);
        Assert.Equal(1f, w.Scale);
    }
}
