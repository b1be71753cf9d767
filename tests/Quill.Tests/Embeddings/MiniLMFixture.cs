// Loads all-MiniLM-L6-v2 once per test run three ways: ONNX Runtime (the reference), Quill from model.onnx, Quill from
// its GGUF conversion. Not a test.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Quill.Embeddings;

namespace Quill.Tests.Embeddings;

public sealed class MiniLMFixture : IDisposable
{
    public const int Threads = 2;

    public MiniLMFixture()
    {
        OnnxPath = DefaultEmbedder.OnnxPath;
        Folder = Directory.CreateTempSubdirectory("quill-minilm-").FullName;
        FromOnnx = BertEmbedder.Load(OnnxPath, threads: Threads);
        GgufPath = DefaultEmbedder.EnsureConverted(Folder);
        FromGguf = BertEmbedder.Load(GgufPath, threads: Threads);
        var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1 };
        Session = new InferenceSession(OnnxPath, options);
    }

    public string OnnxPath { get; }
    public string Folder { get; }
    public string GgufPath { get; }
    public BertEmbedder FromOnnx { get; }
    public BertEmbedder FromGguf { get; }
    public InferenceSession Session { get; }

    /// <summary>ONNX Runtime's last_hidden_state for a padded batch, mean-pooled under the mask and normalised.</summary>
    public float[][] Reference(IReadOnlyList<int[]> ids)
    {
        int batch = ids.Count, length = ids.Max(s => s.Length), dim = FromOnnx.Dimensions;
        var inputIds = new DenseTensor<long>([batch, length]);
        var mask = new DenseTensor<long>([batch, length]);
        var types = new DenseTensor<long>([batch, length]);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < ids[b].Length; t++)
            {
                inputIds[b, t] = ids[b][t];
                mask[b, t] = 1;
            }
        using var results = Session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", inputIds),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        ]);
        var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>();
        var vectors = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            var v = vectors[b] = new float[dim];
            for (int t = 0; t < ids[b].Length; t++)
                for (int c = 0; c < dim; c++) v[c] += hidden[b, t, c];
            for (int c = 0; c < dim; c++) v[c] /= ids[b].Length;
            TextPooling.Normalize(v);
        }
        return vectors;
    }

    public void Dispose()
    {
        Session.Dispose();
        FromOnnx.Dispose();
        FromGguf.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
