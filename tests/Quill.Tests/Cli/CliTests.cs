// End-to-end checks of the CLI commands on small synthetic models, including the one-line errors on bad input.
using System.Text.Json;
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Tests.Models;

namespace Quill.Tests.Cli;

public class CliTests
{
    private static string Tiny => SyntheticModels.Get(new SyntheticModelOptions { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 300 });

    [Fact]
    public void HelpListsEveryCommand()
    {
        var r = QuillCli.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var name in new[] { "demo", "generate", "info", "logits", "create", "bench", "tokenize", "chat-template", "chat", "serve", "convert", "embed",
            "index", "ask", "train", "finetune", "dpo", "lora", "quantize", "perplexity", "imatrix", "prune", "compress", "distill" })
            Assert.Contains(name, r.Stdout);
    }

    [Fact]
    public void DemoRunsEndToEnd()
    {
        var r = QuillCli.Run("demo");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("greedy:", r.Stdout);
        Assert.Contains("tokens/s", r.Stdout);
    }

    [Fact]
    public void GenerateJsonIsATextCompletion()
    {
        var r = QuillCli.Run("generate", "-m", Tiny, "-p", "hello there", "-n", "5", "--temperature", "0", "--json", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.StartsWith("cmpl-", root.GetProperty("id").GetString());
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        Assert.True(root.GetProperty("created").GetInt64() > 1_600_000_000);
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = root.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public void SameSeedGivesSameText()
    {
        string[] args = ["generate", "-m", Tiny, "-p", "the cat", "-n", "12", "--temperature", "1.0", "--seed", "5", "-t", "1"];
        var a = QuillCli.Run(args);
        var b = QuillCli.Run(args);
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Stdout, b.Stdout);
    }

    [Theory]
    [InlineData("a\\nb", "a\nb")]
    [InlineData("tab\\there", "tab\there")]
    [InlineData("back\\\\slash", "back\\slash")]
    [InlineData("keep\\q", "keep\\q")]
    [InlineData("end\\", "end\\")]
    public void EscapesInFlagsAreProcessed(string flag, string expected) =>
        Assert.Equal(expected, Quill.Cli.Commands.EscapedText.Unescape(flag));

    [Fact]
    public void LogitsPrintsOneArrayOfVocabSize()
    {
        var r = QuillCli.Run("logits", "-m", Tiny, "--ids", "1,2,3", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(300, doc.RootElement.GetArrayLength());
    }

    [Theory]
    [InlineData("generate", "-p", "hi", "-n", "1")]
    [InlineData("bench", "-p", "4", "-n", "2", "-r", "1")]
    [InlineData("logits", "--ids", "1,2")]
    [InlineData("serve", "--port", "0")]
    public void BadKvTypeIsOneLineAndNonZero(params string[] rest)
    {
        var r = QuillCli.Run([rest[0], "-m", Tiny, "-t", "1", "--kv-type", "q8", .. rest[1..]]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal("quill: --kv-type: expected f16 or f32, found 'q8'", r.Stderr.Trim());
    }

    [Theory]
    [InlineData("generate", "-p", "hi", "-n", "1")]
    [InlineData("bench", "-p", "4", "-n", "2", "-r", "1")]
    [InlineData("chat")]
    public void MmapWithHugePagesIsOneLineAndNonZero(params string[] rest)
    {
        var r = QuillCli.Run([rest[0], "-m", Tiny, "-t", "1", "--mmap", "--huge-pages", .. rest[1..]]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal("quill: --mmap computes from the file's own pages; leave out --huge-pages or --mmap", r.Stderr.Trim());
    }

    [Fact]
    public void HugePagesGenerateTheSameTextAndServeTakesTheFlag()
    {
        string[] args = ["generate", "-m", Tiny, "-t", "1", "-p", "hi", "-n", "6", "--temperature", "0"];
        var plain = QuillCli.Run(args);
        var huge = QuillCli.Run([.. args, "--huge-pages"]);
        Assert.True(plain.ExitCode == 0 && huge.ExitCode == 0, plain.Stderr + huge.Stderr);
        Assert.Equal(plain.Stdout, huge.Stdout);
        Assert.Contains("--huge-pages", QuillCli.Run("serve", "--help").Stdout);
    }

    [Fact]
    public void KvTypeIsListedAndFollowedByTheBenchsKvFigure()
    {
        Assert.Contains("--kv-type", QuillCli.Run("chat", "--help").Stdout);
        long Bytes(string type)
        {
            var r = QuillCli.Run("bench", "-m", Tiny, "-p", "8", "-n", "4", "-r", "1", "-t", "1", "--json", "--kv-type", type);
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal(type, doc.RootElement.GetProperty("kv_type").GetString());
            return doc.RootElement.GetProperty("kv_bytes").GetInt64();
        }
        long f32 = Bytes("f32");
        Assert.Equal(2L * 2 * 9 * 32 * 4, f32); // K and V × 2 layers × 9 positions × Hkv·D 32 × 4 bytes
        Assert.Equal(f32 / 2, Bytes("f16"));
    }

    [Fact]
    public void InfoShowsMetadataAndTensors()
    {
        var r = QuillCli.Run("info", Tiny);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("general.architecture", r.Stdout);
        Assert.Contains("blk.1.ffn_down.weight", r.Stdout);
    }

    [Fact]
    public void InfoReadsSafetensors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-info-{Guid.NewGuid():N}.safetensors");
        try
        {
            var writer = new Quill.Formats.Safetensors.SafetensorsWriter();
            writer.Set("format", "pt");
            writer.AddTensor("encoder.weight", Quill.Formats.Safetensors.SafetensorsDType.F32, [2, 3], new byte[24]);
            writer.WriteTo(path);
            var r = QuillCli.Run("info", path);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("encoder.weight", r.Stdout);
            Assert.Contains("[2, 3]", r.Stdout);
            Assert.Contains("format", r.Stdout);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CreateWritesALoadableQuantizedModel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-create-{Guid.NewGuid():N}.gguf");
        try
        {
            var r = QuillCli.Run("create", "-o", path, "--dim", "64", "--layers", "1", "--heads", "4", "--kv-heads", "1", "--ffn", "96", "--vocab", "333",
                "--type", "q4_0", "--seed", "3");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var file = GgufFile.Open(path);
            Assert.Equal(Quill.Tensors.GgmlType.Q4_0, file.GetTensor("blk.0.attn_q.weight").Type);
            Assert.Equal(333, file.GetStringArray("tokenizer.ggml.tokens")!.Length);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BenchJsonReportsBothRates()
    {
        var r = QuillCli.Run("bench", "-m", Tiny, "-p", "16", "-n", "4", "-r", "1", "--json", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.True(doc.RootElement.GetProperty("pp_tokens_per_s").GetDouble() > 0);
        Assert.True(doc.RootElement.GetProperty("tg_tokens_per_s").GetDouble() > 0);
    }

    public static TheoryData<string, string> BadModels => new()
    {
        { "missing", "no such" },
        { "empty", "empty.gguf" },
        { "notgguf", "notgguf.gguf" },
        { "unknown-arch", "unknown architecture 'mamba9'" },
        { "missing-key", "llama.block_count" },
        { "bad-heads", "head_count" },
        { "wrong-shape", "has shape" },
    };

    [Theory, MemberData(nameof(BadModels))]
    public void BadModelFilesGiveOneLineErrors(string kind, string expected)
    {
        string path = BadModelFiles.Make(kind);
        var r = QuillCli.Run("generate", "-m", path, "-p", "hi", "-n", "2");
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("quill: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void BadFlagsGiveOneLineErrors()
    {
        var r = QuillCli.Run("logits", "-m", Tiny, "--ids", "1,x,3");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'x' is not a token id", r.Stderr);
        r = QuillCli.Run("logits", "-m", Tiny, "--ids", "1,99999");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside the vocabulary", r.Stderr);
        r = QuillCli.Run("create", "-o", Path.Combine(Path.GetTempPath(), "x.gguf"), "--dim", "60", "--heads", "7");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not a multiple", r.Stderr);
    }
}
