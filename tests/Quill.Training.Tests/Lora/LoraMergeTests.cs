// LoraMerge's refusals: nothing is written when the adapter does not fit the base.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Training.Lora;

namespace Quill.Training.Tests.Lora;

public sealed class LoraMergeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-merge-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Adapter(string basePath)
    {
        string path = Path.Combine(_folder, "adapter.gguf");
        using var source = GgufFile.Open(basePath);
        LoraAdapterFile.Save(LoraTestModels.WithRandomLora(basePath), path, source);
        return path;
    }

    [Fact]
    public void AdapterForAnotherShapeIsRefusedAndNothingIsWritten()
    {
        string adapter = Adapter(LoraTestModels.WriteBase(_folder));
        string other = Path.Combine(_folder, "other.gguf");
        SyntheticModelWriter.Write(other, new SyntheticModelOptions { Dim = 32, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 320 });
        string output = Path.Combine(_folder, "merged.gguf");

        var e = Assert.Throws<ModelFormatException>(() => LoraMerge.Merge(other, adapter, output));
        Assert.StartsWith("adapter.gguf: expected In 32, Out 32", e.Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AdapterForMoreLayersIsRefused()
    {
        string adapter = Adapter(LoraTestModels.WriteBase(_folder));
        string shallow = Path.Combine(_folder, "shallow.gguf");
        SyntheticModelWriter.Write(shallow, new SyntheticModelOptions { Dim = 64, Layers = 1, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 320 });

        var e = Assert.Throws<ModelFormatException>(() => LoraMerge.Merge(shallow, adapter, Path.Combine(_folder, "merged.gguf")));
        Assert.Contains("'blk.1.", e.Message);
    }

    [Fact]
    public void QuantizedOutputIsRefused()
    {
        string basePath = LoraTestModels.WriteBase(_folder);
        Assert.Throws<ArgumentException>(() => LoraMerge.Merge(basePath, Adapter(basePath), Path.Combine(_folder, "m.gguf"), GgmlType.Q8_0));
    }

    [Fact]
    public void FoldAddsScaledProductOfBAndA()
    {
        // W 2×3 zero, A 1×3 = [1 2 3], B 2×1 = [1, -1], alpha 2, rank 1 → s = 2.
        var w = new float[6];
        LoraMerge.Fold(w, new Quill.Models.Llama.LoraWeight("blk.0.attn_q.weight", 1, 2f, 3, 2, [1, 2, 3], [1, -1]));
        Assert.Equal([2f, 4f, 6f, -2f, -4f, -6f], w);
    }
}
