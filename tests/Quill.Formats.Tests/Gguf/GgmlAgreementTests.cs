// Differential test against ggml's own GGUF reader: what GgufWriter writes, ggml reads the same way; not run on hostile files (ggml's reader can abort the
// process on huge claimed sizes).
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Formats.Tests.Gguf;

public class GgmlAgreementTests
{
    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(8u)]
    public void Ggml_reads_what_GgufWriter_writes(uint alignment)
    {
        using var folder = new TempFolder();
        var writer = new GgufWriter(alignment);
        writer.Set("general.architecture", "llama");
        writer.Set("llama.block_count", 2u);
        writer.Set("tokenizer.ggml.tokens", new[] { "<s>", "</s>", "a" });
        writer.Set("tokenizer.ggml.scores", new[] { 0f, 0f, -1f });
        writer.Set("flags", new[] { true, false });
        writer.Set("empty", Array.Empty<int>());
        writer.Set("f64", 2.5);
        writer.AddTensor("token_embd.weight", GgmlType.F16, [3, 5], new byte[30]);
        writer.AddTensor("blk.0.attn_q.weight", GgmlType.Q4_K, [256, 2], new byte[288]);
        writer.AddTensor("output_norm.weight", GgmlType.F32, [3], new byte[12]);
        string path = folder.File("agree.gguf");
        writer.WriteTo(path);

        using var ours = GgufFile.Open(path);
        using var ggml = GgmlGgufReader.TryOpen(path);
        Assert.NotNull(ggml);
        Assert.Equal(ours.Version, ggml.Version);
        Assert.Equal(ours.Alignment, ggml.Alignment);
        Assert.Equal(ours.DataOffset, ggml.DataOffset);
        Assert.Equal(ours.Metadata.Keys, Enumerable.Range(0, (int)ggml.KeyValueCount).Select(i => ggml.Key(i)));
        Assert.Equal(ours.Tensors.Count, ggml.TensorCount);
        for (int i = 0; i < ours.Tensors.Count; i++)
        {
            Assert.Equal(ours.Tensors[i].Name, ggml.TensorName(i));
            Assert.Equal((long)ours.Tensors[i].Offset, ggml.TensorOffset(i));
        }
    }
}
