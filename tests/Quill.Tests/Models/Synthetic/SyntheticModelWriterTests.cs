// The synthetic model writer's bytes are pinned: tensors made as the file is written give the file the eager writer gave.
using System.Security.Cryptography;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Tests.Models.Synthetic;

public sealed class SyntheticModelWriterTests
{
    /// <summary>SHA-256 of the files the writer made when it computed every tensor before writing (before GeneratedTensors).</summary>
    [Theory]
    [InlineData("llama", GgmlType.F32, "8813e14e990a82b409047a80aaab1c3f928bfa43908ab5fd0d0d25e90e858e1a")]
    [InlineData("qwen2", GgmlType.Q8_0, "dbaf1cfc2a3406efa9668c59ebe2bbb95386260acfc1c64297281f584e53915f")]
    public void FilesKeepTheirBytes(string architecture, GgmlType type, string sha256)
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-synthetic-{Guid.NewGuid():N}.gguf");
        try
        {
            var options = new SyntheticModelOptions { Architecture = architecture, Type = type, Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 300 };
            var progress = new List<double>();
            SyntheticModelWriter.Write(path, options, new SynchronousProgress(progress));
            Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
            Assert.Equal(1.0, progress[^1]);
            Assert.True(progress.Count > options.Layers, "progress is reported as the tensors are made");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class SynchronousProgress(List<double> values) : IProgress<double>
    {
        public void Report(double value) => values.Add(value);
    }
}
