// Handcrafted broken LoRA adapter files: each is refused with one line naming the file and what was expected.
using System.Runtime.InteropServices;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Training.Lora;

namespace Quill.Training.Tests.Lora;

public sealed class BadLoraAdapterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-bad-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] F32(int count) => MemoryMarshal.AsBytes(Enumerable.Repeat(0.01f, count).ToArray().AsSpan()).ToArray();

    /// <summary>A valid rank-4 adapter of blk.0.attn_q (64 → 64), then the named breakage.</summary>
    private string Write(string breakage)
    {
        var w = new GgufWriter();
        if (breakage != "no architecture") w.Set("general.architecture", "llama");
        if (breakage != "no general.type") w.Set("general.type", breakage == "type model" ? "model" : "adapter");
        w.Set("adapter.type", breakage == "adapter ia3" ? "ia3" : "lora");
        if (breakage != "no alpha") w.Set("adapter.lora.alpha", breakage == "alpha NaN" ? float.NaN : breakage == "alpha negative" ? -1f : 8f);
        string target = breakage switch
        {
            "token_embd" => "token_embd.weight",
            "norm target" => "blk.0.attn_norm.weight",
            "bad block" => "blk.x.attn_q.weight",
            _ => "blk.0.attn_q.weight",
        };
        switch (breakage)
        {
            case "no tensors": break;
            case "no suffix": w.AddTensor(target, GgmlType.F32, [64, 4], F32(256)); break;
            case "only a": w.AddTensor(target + ".lora_a", GgmlType.F32, [64, 4], F32(256)); break;
            case "only b": w.AddTensor(target + ".lora_b", GgmlType.F32, [4, 64], F32(256)); break;
            case "rank mismatch":
                w.AddTensor(target + ".lora_a", GgmlType.F32, [64, 4], F32(256));
                w.AddTensor(target + ".lora_b", GgmlType.F32, [3, 64], F32(192));
                break;
            case "b transposed":
                w.AddTensor(target + ".lora_a", GgmlType.F32, [64, 4], F32(256));
                w.AddTensor(target + ".lora_b", GgmlType.F32, [64, 4], F32(256));
                break;
            case "1-D":
                w.AddTensor(target + ".lora_a", GgmlType.F32, [256], F32(256));
                w.AddTensor(target + ".lora_b", GgmlType.F32, [4, 64], F32(256));
                break;
            case "quantized":
                w.AddTensor(target + ".lora_a", GgmlType.Q8_0, [64, 4], new byte[GgmlTypeInfo.RowBytes(GgmlType.Q8_0, 64) * 4]);
                w.AddTensor(target + ".lora_b", GgmlType.F32, [4, 64], F32(256));
                break;
            default:
                w.AddTensor(target + ".lora_a", GgmlType.F32, [64, 4], F32(256));
                w.AddTensor(target + ".lora_b", GgmlType.F32, [4, 64], F32(256));
                break;
        }
        string path = Path.Combine(_folder, "bad.gguf");
        w.WriteTo(path);
        return path;
    }

    [Fact]
    public void TheUnbrokenFileLoads()
    {
        var adapter = LoraAdapterFile.Load(Write("none"));
        var w = Assert.Single(adapter.Weights);
        Assert.Equal(("blk.0.attn_q.weight", 4, 64, 64), (w.Target, w.Rank, w.InFeatures, w.OutFeatures));
        Assert.Equal(2f, w.Scale);
    }

    [Theory]
    [InlineData("type model", "general.type 'adapter'")]
    [InlineData("no general.type", "no general.type")]
    [InlineData("adapter ia3", "adapter.type 'lora'")]
    [InlineData("no architecture", "general.architecture")]
    [InlineData("no alpha", "adapter.lora.alpha")]
    [InlineData("alpha NaN", "finite adapter.lora.alpha")]
    [InlineData("alpha negative", "finite adapter.lora.alpha")]
    [InlineData("no tensors", "at least one lora_a/lora_b pair")]
    [InlineData("no suffix", "'<weight>.lora_a'")]
    [InlineData("token_embd", "LoRA on blk.N")]
    [InlineData("norm target", "LoRA on blk.N")]
    [InlineData("bad block", "LoRA on blk.N")]
    [InlineData("only a", "'blk.0.attn_q.weight.lora_b' beside")]
    [InlineData("only b", "'blk.0.attn_q.weight.lora_a' beside")]
    [InlineData("rank mismatch", "of shape [rank 4, Out]")]
    [InlineData("b transposed", "maybe A and B are transposed")]
    [InlineData("1-D", "a 2-D tensor")]
    [InlineData("quantized", "an F32, F16 or BF16 tensor")]
    public void BrokenFileIsRefusedWithOneLine(string breakage, string expected)
    {
        string path = Write(breakage);
        var e = Assert.Throws<ModelFormatException>(() => LoraAdapterFile.Load(path));
        Assert.StartsWith("bad.gguf: expected ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ABaseModelGivenAsAdapterIsRefused()
    {
        string basePath = LoraTestModels.WriteBase(_folder);
        var e = Assert.Throws<ModelFormatException>(() => LoraAdapterFile.Load(basePath));
        Assert.Contains("general.type 'adapter'", e.Message);
    }

    [Fact]
    public void NotAGgufFileIsRefused()
    {
        string path = Path.Combine(_folder, "text.gguf");
        File.WriteAllText(path, "this is not a gguf file at all, just words");
        Assert.Throws<ModelFormatException>(() => LoraAdapterFile.Load(path));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => LoraAdapterFile.Load(Path.Combine(_folder, "nope.gguf")));
        Assert.Contains("nope.gguf", e.Message);
    }
}
