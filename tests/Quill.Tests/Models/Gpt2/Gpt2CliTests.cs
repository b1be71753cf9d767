// `quill create --arch gpt2` and the generate / logits / bench commands on the file it writes, with llama.cpp loading it too.
using System.Text.Json;
using Quill.Formats.Gguf;
using Quill.Tests.Cli;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Models.Gpt2;

public class Gpt2CliTests
{
    [Fact]
    public void CreateGpt2ThenGenerateLogitsAndBench()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-create-gpt2-{Guid.NewGuid():N}.gguf");
        try
        {
            var r = QuillCli.Run("create", "-o", path, "--arch", "gpt2", "--dim", "64", "--layers", "2", "--heads", "4", "--ffn", "128", "--vocab", "400",
                "--ctx", "128", "--type", "q8_0");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using (var file = GgufFile.Open(path))
            {
                Assert.Equal("gpt2", file.RequireString("general.architecture"));
                Assert.Equal(Quill.Tensors.GgmlType.Q8_0, file.GetTensor("blk.0.attn_qkv.weight").Type);
                Assert.Equal("gpt-2", file.GetString("tokenizer.ggml.pre"));
            }
            var info = LlamaCppReference.Describe(path);
            Assert.Equal(400, info.VocabularySize);

            r = QuillCli.Run("generate", "-m", path, "-p", "the cat sat", "-n", "6", "--temperature", "0", "--json", "-t", "1");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using (var doc = JsonDocument.Parse(r.Stdout))
                Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());

            r = QuillCli.Run("logits", "-m", path, "--ids", "1,2,3", "-t", "1");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using (var doc = JsonDocument.Parse(r.Stdout))
                Assert.Equal(400, doc.RootElement.GetArrayLength());

            r = QuillCli.Run("bench", "-m", path, "-p", "16", "-n", "4", "-r", "1", "--json", "-t", "1");
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        finally { File.Delete(path); }
    }
}
