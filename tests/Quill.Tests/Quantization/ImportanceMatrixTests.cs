// quill imatrix: the statistics against a scalar Llama forward's matrix inputs, the file format, and quantize --imatrix.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Quantization;
using Quill.Tensors;
using Quill.Tensors.Quantization;
using Quill.Tests.Cli;
using Quill.Tests.Models;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Quantization;

public sealed class ImportanceMatrixTests : IDisposable
{
    private static readonly SyntheticModelOptions Model = new()
    {
        Dim = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 512, Type = GgmlType.F16, Seed = 41,
    };

    private static readonly string Text = string.Join(' ', Enumerable.Range(0, 300).Select(i => new[] { "in", "the", "beginning", "god", "created",
        "heaven", "and", "earth", "was", "without", "form" }[(i * 5 + i / 4) % 11]));

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-imatrix-").FullName;

    /// <summary>Deletes this test's scratch folder (xUnit makes one instance per test and disposes it).</summary>
    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private string Temp(string name) => Path.Combine(_folder, name);

    [Fact]
    public void SumsOfSquaredInputsMatchAScalarForward()
    {
        var options = new TinyLlamaOptions();
        using LanguageModel lm = LanguageModel.Load(TinyLlamaFiles.Shared(options), new LoadOptions { Threads = 2, KvCacheType = KvCacheType.F32 });
        int[] ids = [TinyLlamaVocabulary.BosId, .. Enumerable.Range(0, 39).Select(i => 5 + i * 7 % 300)];
        var collector = new ImportanceMatrixCollector();
        ((IObservableModel)lm.Model).InputObserver = collector;
        using (IInferenceState state = lm.Model.CreateState(ids.Length))
            state.AppendAll(ids, new float[ids.Length * lm.Model.VocabSize]);
        ImportanceMatrix ours = collector.ToMatrix(["ids"], ids.Length);

        var expected = new Dictionary<string, double[]>();
        ScalarLlamaForward.Logits(options, ids, (name, x) =>
        {
            if (!expected.TryGetValue(name, out double[]? sums)) expected[name] = sums = new double[x.Length];
            for (int j = 0; j < x.Length; j++) sums[j] += (double)x[j] * x[j];
        });
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ours.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(7 * options.BlockCount, ours.Entries.Count);
        foreach ((string name, double[] sums) in expected)
        {
            ImportanceMatrix.Entry e = ours.Entries[name];
            Assert.Equal(ids.Length, e.Count);
            double scale = sums.Max();
            for (int j = 0; j < sums.Length; j++)
                Assert.True(Math.Abs(e.SumOfSquares[j] - sums[j]) <= 1e-4 * scale, $"{name}[{j}]: {e.SumOfSquares[j]} vs {sums[j]}");
        }
        Assert.Equal(1, ours.ChunkCount);
    }

    [Fact]
    public void FewerThanSixteenTokensAreIgnoredAsLlamaImatrixDoes()
    {
        using LanguageModel lm = LanguageModel.Load(SyntheticModels.Get(Model), new LoadOptions { Threads = 2 });
        var collector = new ImportanceMatrixCollector();
        ((IObservableModel)lm.Model).InputObserver = collector;
        using IInferenceState state = lm.Model.CreateState(64);
        state.Append([1, 5, 9, 13], new float[lm.Model.VocabSize]);
        Assert.Empty(collector.ToMatrix([], 64).Entries);
    }

    [Fact]
    public void FileRoundTripsInLlamaImatrixLayout()
    {
        using LanguageModel lm = LanguageModel.Load(SyntheticModels.Get(Model), new LoadOptions { Threads = 2 });
        (ImportanceMatrix matrix, _) = ImportanceMatrixCollector.Compute(lm, Text, new ImportanceMatrixOptions { Context = 64, Dataset = "cal.txt" });
        Assert.Null(((IObservableModel)lm.Model).InputObserver);
        string path = Temp("imatrix.gguf");
        matrix.Save(path);
        using (GgufFile file = GgufFile.Open(path))
        {
            Assert.Equal("imatrix", file.GetString("general.type"));
            Assert.Equal(["cal.txt"], file.GetStringArray("imatrix.datasets")!);
            Assert.Equal((uint)matrix.ChunkCount, file.GetUInt32("imatrix.chunk_count"));
            Assert.Equal(64u, file.GetUInt32("imatrix.chunk_size"));
            GgufTensorInfo sums = file.GetTensor("blk.1.ffn_down.weight.in_sum2");
            Assert.Equal([512L, 1L], sums.Shape);
            Assert.Equal([1L, 1L], file.GetTensor("blk.1.ffn_down.weight.counts").Shape);
            Assert.Equal(file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal).Where(n => n.EndsWith(".in_sum2")),
                file.Tensors.Select(t => t.Name).Where(n => n.EndsWith(".in_sum2")));
        }
        ImportanceMatrix loaded = ImportanceMatrix.Load(path);
        Assert.Equal(matrix.Entries.Count, loaded.Entries.Count);
        Assert.Equal(matrix.Entries["blk.0.attn_q.weight"].SumOfSquares, loaded.Entries["blk.0.attn_q.weight"].SumOfSquares);
        Assert.Equal(64 * matrix.ChunkCount, loaded.Entries["blk.0.attn_q.weight"].Count);
    }

    [Fact]
    public void QuantizeWeighsEachRowByTheMatrix()
    {
        string source = SyntheticModels.Get(Model);
        ImportanceMatrix matrix;
        using (LanguageModel lm = LanguageModel.Load(source, new LoadOptions { Threads = 2 }))
            matrix = ImportanceMatrixCollector.Compute(lm, Text, new ImportanceMatrixOptions { Context = 64, Dataset = "cal.txt" }).Matrix;
        string weighted = Temp("weighted.gguf"), plain = Temp("plain.gguf");
        ModelQuantizer.Quantize(source, weighted, QuantizationMix.Q4_K_M, new QuantizeOptions { ImportanceMatrix = matrix, ImportanceMatrixPath = "m.gguf" });
        ModelQuantizer.Quantize(source, plain, QuantizationMix.Q4_K_M);
        using GgufFile f16 = GgufFile.Open(source), a = GgufFile.Open(weighted), b = GgufFile.Open(plain);
        Assert.Equal("m.gguf", a.GetString("quantize.imatrix.file"));
        Assert.Equal("cal.txt", a.GetString("quantize.imatrix.dataset"));
        Assert.Equal((uint)matrix.Entries.Count, a.GetUInt32("quantize.imatrix.entries_count"));

        const string name = "blk.0.attn_q.weight";
        GgufTensorInfo input = f16.GetTensor(name), output = a.GetTensor(name);
        Assert.Equal(GgmlType.Q4_K, output.Type);
        int columns = (int)input.Shape[0];
        var floats = new float[columns];
        QuantFormats.Get(GgmlType.F16).Dequantize(f16.GetTensorData(input)[..(2 * columns)], floats);
        QuantFormat q4k = QuantFormats.Get(GgmlType.Q4_K);
        var expected = new byte[q4k.RowBytes(columns)];
        q4k.QuantizeWeighted!(floats, expected, matrix.ValuesFor(name)!);
        Assert.Equal(expected, a.GetTensorData(output)[..expected.Length].ToArray());
        Assert.False(a.GetTensorData(output).SequenceEqual(b.GetTensorData(b.GetTensor(name))), "the importance matrix changed nothing");
        Assert.True(b.GetTensorData(b.GetTensor("token_embd.weight")).SequenceEqual(a.GetTensorData(a.GetTensor("token_embd.weight"))));
    }

    [Fact]
    public void BadImportanceMatricesAreRefused()
    {
        string notMatrix = SyntheticModels.Get(Model);
        var e = Assert.ThrowsAny<ModelFormatException>(() => ImportanceMatrix.Load(notMatrix));
        Assert.Contains(notMatrix, e.Message);

        var wrong = new ImportanceMatrix(new Dictionary<string, ImportanceMatrix.Entry>
        {
            ["blk.0.attn_q.weight"] = new(new float[100], new float[100], 5),
        }, ["x"], 1, 64);
        string output = Temp("never.gguf");
        var mismatch = Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(SyntheticModels.Get(Model), output, QuantizationMix.Q4_0,
            new QuantizeOptions { ImportanceMatrix = wrong }));
        Assert.Contains("blk.0.attn_q.weight", mismatch.Message);
        Assert.False(File.Exists(output));

        string halfWritten = Temp("truncated-imatrix.gguf");
        string good = Temp("good-imatrix.gguf");
        new ImportanceMatrix(new Dictionary<string, ImportanceMatrix.Entry> { ["blk.0.attn_q.weight"] = new(new float[256], new float[256], 5) },
            ["x"], 1, 64).Save(good);
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(halfWritten, bytes[..(bytes.Length - 300)]);
        Assert.ThrowsAny<ModelFormatException>(() => ImportanceMatrix.Load(halfWritten));
    }

    [Fact]
    public void CliWritesAMatrixThatQuantizeTakes()
    {
        string text = Temp("cal.txt");
        File.WriteAllText(text, Text);
        string matrix = Path.Combine(Path.GetDirectoryName(text)!, "imatrix.gguf");
        CliResult r = QuillCli.Run("imatrix", "-m", SyntheticModels.Get(Model), "-f", text, "-o", matrix, "-c", "64", "--chunks", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("14 matrices over 3 chunks", r.Stdout);
        string output = Path.Combine(Path.GetDirectoryName(text)!, "q3.gguf");
        CliResult q = QuillCli.Run("quantize", SyntheticModels.Get(Model), output, "Q3_K_M", "--imatrix", matrix);
        Assert.True(q.ExitCode == 0, q.Stderr);
        using GgufFile file = GgufFile.Open(output);
        Assert.Equal(3u, file.GetUInt32("quantize.imatrix.chunks_count"));
    }
}
