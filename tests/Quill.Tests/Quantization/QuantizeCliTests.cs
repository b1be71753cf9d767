// `quill quantize` as people run it: a summary on success, one line and exit code 1 on a bad request.
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Tests.Cli;
using Quill.Tests.Models;

namespace Quill.Tests.Quantization;

public sealed class QuantizeCliTests
{
    private static readonly SyntheticModelOptions Small = new()
    {
        Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 128, VocabSize = 512, Type = GgmlType.F16, Seed = 21,
    };

    [Fact]
    public void QuantizesAndSummarizes()
    {
        string folder = Directory.CreateTempSubdirectory("quill-quantize-cli-").FullName;
        try
        {
            string output = Path.Combine(folder, "small-q8_0.gguf");
            CliResult r = QuillCli.Run("quantize", SyntheticModels.Get(Small), output, "q8_0", "--tensor-type", "ffn_down=q4_0");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Contains("Q8_0", r.Stdout);
            Assert.Contains("bits per weight", r.Stdout);
            using GgufFile file = GgufFile.Open(output);
            Assert.Equal(7u, file.GetUInt32("general.file_type"));
            Assert.Equal(GgmlType.Q4_0, file.GetTensor("blk.1.ffn_down.weight").Type);
            Assert.Equal(GgmlType.Q8_0, file.GetTensor("blk.1.ffn_up.weight").Type);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Q7_K", "is not a quantization type")]
    [InlineData("Q8_0 --tensor-type ffn_down", "expected PATTERN=TYPE")]
    [InlineData("Q8_0 --tensor-type (=q8_0", "not a valid regular expression")]
    [InlineData("Q8_0 --output-tensor-type q9", "is not a tensor type")]
    public void BadRequestsAreOneLine(string arguments, string expected)
    {
        string output = Path.Combine(Path.GetTempPath(), $"quill-never-{Guid.NewGuid():N}.gguf");
        CliResult r = QuillCli.Run(["quantize", SyntheticModels.Get(Small), output, .. arguments.Split(' ')]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void MissingInputNamesTheFile()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"quill-missing-{Guid.NewGuid():N}.gguf");
        CliResult r = QuillCli.Run("quantize", missing, missing + ".out", "Q4_0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(missing, r.Stderr);
    }
}
