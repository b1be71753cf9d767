// quill compress report: every variant made, scored against the base, and written as Markdown, JSON and a PNG.
using System.Text.Json;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Training.Compression;

namespace Quill.Training.Tests.Compression;

public sealed class CompressionReportTests
{
    [Fact]
    public void MakesScoresAndWritesEveryVariant()
    {
        string folder = Directory.CreateTempSubdirectory("quill-compress-").FullName;
        try
        {
            string model = Path.Combine(folder, "base-f16.gguf");
            var shape = new SyntheticModelOptions { Dim = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 512, Type = GgmlType.F16 };
            SyntheticModelWriter.Write(model, shape);
            string student = Path.Combine(folder, "student.gguf");
            SyntheticModelWriter.Write(student, shape with { Layers = 1, Seed = 3 });
            string text = string.Join(' ', Enumerable.Range(0, 150).Select(i => new[] { "a", "b", "c", "the", "word" }[(i * 7 + i / 3) % 5]));
            string output = Path.Combine(folder, "report");

            IReadOnlyList<CompressionRow> rows = CompressionReport.Run(model, text, output, new CompressionReportOptions
            {
                Types = ["Q8_0", "Q4_K_M"], CalibrationText = text, Student = student, Context = 64, Threads = 2,
            });

            Assert.Equal(["base-f16", "Q8_0", "Q4_K_M", "wanda 50%", "wanda 2:4", "student"], rows.Select(r => r.Name));
            Assert.Equal(0, rows[0].MeanKlDivergence);
            Assert.True(rows[1].FileBytes < rows[0].FileBytes && rows[2].FileBytes < rows[1].FileBytes);
            Assert.True(rows[1].MeanKlDivergence < rows[2].MeanKlDivergence, "Q8_0 should be closer to the base than Q4_K_M");
            Assert.InRange(rows[3].Sparsity, 0.3, 0.5);
            Assert.All(rows.Skip(1), r => Assert.True(r.MeanKlDivergence > 0 && r.Perplexity > 1));

            string markdown = File.ReadAllText(Path.Combine(output, "report.md"));
            Assert.Contains("| model | how | size MiB | bits/weight |", markdown);
            Assert.Contains("| Q4_K_M | quantized Q4_K_M |", markdown);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            Assert.Equal(6, json.RootElement.GetProperty("rows").GetArrayLength());
            byte[] png = File.ReadAllBytes(Path.Combine(output, "size-vs-perplexity.png"));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
            Assert.True(File.Exists(Path.Combine(output, "variants", "base-f16-q4_k_m.gguf")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);  // a base model and five variants: ~12 MB a run
        }
    }
}
