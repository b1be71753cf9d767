// Loading BERT encoders from GGUF, HF safetensors and ONNX: the same checkpoint gives the same vectors; bad files fail in one line.
using Quill.Embeddings;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Formats.Onnx;
using Quill.Models.Bert;

namespace Quill.Tests.Models.Bert;

public sealed class BertLoadingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-bert-").FullName;
    private static readonly string[] Texts = ["the cat sat on the mat.", "a dog", "cats running on the mat", "xyz",
        "the the the the the the the the the the the the the the the the the"];

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static float[][] Embed(BertCheckpoint checkpoint)
    {
        using var embedder = new BertEmbedder(BertModel.Load(checkpoint, threads: 2), checkpoint.Vocabulary!.CreateTokenizer(), checkpoint.Name);
        return embedder.Embed(Texts).Vectors;
    }

    [Fact]
    public void GgufRoundTripKeepsTensorsConfigAndVocabulary()
    {
        var original = TinyBert.Create();
        string path = Path.Combine(_folder, "tiny.gguf");
        BertGguf.Write(original, path);
        using var file = GgufFile.Open(path);
        Assert.Equal("bert", file.GetString("general.architecture"));
        Assert.Equal("bert", file.GetString("tokenizer.ggml.model"));
        Assert.Equal("\u2581the", file.GetStringArray("tokenizer.ggml.tokens")![5]);
        Assert.Equal("s", file.GetStringArray("tokenizer.ggml.tokens")![14]);
        Assert.Equal(3u, file.GetUInt32("tokenizer.ggml.seperator_token_id"));
        Assert.Equal([32L], file.GetTensor("blk.0.attn_q.bias").Shape);
        Assert.Equal([32L, 64L], file.GetTensor("blk.1.ffn_up.weight").Shape);
        var read = BertGguf.Read(file);
        Assert.Equal(original.Config, read.Config);
        Assert.Equal(original.Vocabulary!.Tokens, read.Vocabulary!.Tokens);
        foreach (var (name, tensor) in original.Tensors) Assert.Equal(tensor.Data, read.Tensors[name].Data);
        Assert.Equal(Embed(original), Embed(read));
    }

    [Fact]
    public void SafetensorsFolderGivesTheSameVectors()
    {
        var original = TinyBert.Create(seed: 2);
        string folder = Path.Combine(_folder, "hf");
        TinyBert.WriteHuggingFaceFolder(original, folder);
        var read = BertSafetensorsReader.Read(folder);
        Assert.Equal(original.Config, read.Config);
        Assert.Equal(Embed(original), Embed(read));
        string gguf = Path.Combine(_folder, "from-hf.gguf");
        EncoderConverter.SafetensorsToGguf(folder, gguf);
        using var embedder = BertEmbedder.Load(gguf, threads: 2);
        Assert.Equal(Embed(original), embedder.Embed(Texts).Vectors);
    }

    [Fact]
    public void DecoderGgufIsRefusedInOneLine()
    {
        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.AddTensor("token_embd.weight", Quill.Tensors.GgmlType.F32, [4, 2], new byte[32]);
        string path = Path.Combine(_folder, "llama.gguf");
        writer.WriteTo(path);
        var e = Assert.Throws<ModelFormatException>(() => BertEmbedder.Load(path));
        Assert.Equal("llama.gguf: expected an encoder (general.architecture = \"bert\"), found \"llama\"; decoders such as llama cannot embed text here",
            e.Message);
    }

    [Fact]
    public void GgufMissingATensorIsRefusedInOneLine()
    {
        var original = TinyBert.Create();
        var partial = new Dictionary<string, BertTensor>(original.Tensors);
        string path = Path.Combine(_folder, "full.gguf");
        BertGguf.Write(original, path);
        // Rewrite without one layer tensor by copying every key and tensor but that one.
        using (var file = GgufFile.Open(path))
        {
            var writer = new GgufWriter();
            foreach (var (key, value) in file.Metadata) writer.Set(key, value);
            foreach (var t in file.Tensors)
                if (t.Name != "blk.1.ffn_down.weight") writer.AddTensor(t.Name, t.Type, t.Shape, file.GetTensorData(t).ToArray());
            writer.WriteTo(Path.Combine(_folder, "partial.gguf"));
        }
        var e = Assert.Throws<ModelFormatException>(() => BertEmbedder.Load(Path.Combine(_folder, "partial.gguf")));
        Assert.Equal("partial.gguf: expected BERT tensor 'blk.1.ffn_down.weight', found none", e.Message);
    }

    [Fact]
    public void MiniLMOnnxMapsEveryWeightByFollowingTheGraph()
    {
        using var onnx = OnnxFile.Open(DefaultEmbedder.OnnxPath);
        Assert.Equal(13, onnx.Opset);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], onnx.Inputs.Select(i => i.Name));
        Assert.Equal("last_hidden_state", onnx.Outputs[0].Name);
        Assert.Equal([30522L, 384], onnx.GetTensor("embeddings.word_embeddings.weight").Dims);
        Assert.Equal([1536L], onnx.GetTensor("encoder.layer.0.intermediate.dense.bias").Dims);
        var checkpoint = BertOnnxReader.Read(onnx);
        Assert.Equal(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f, Pooling.Mean), checkpoint.Config);
        // The query weight of layer 0 is the anonymous MatMul initializer whose output gets the query bias, transposed.
        var matmul = onnx.Nodes.First(n => n.OpType == "MatMul" && onnx.Nodes.Any(a => a.OpType == "Add"
            && a.Inputs.Contains(n.Outputs[0]) && a.Inputs.Contains("encoder.layer.0.attention.self.query.bias")));
        var raw = onnx.ReadFloats(onnx.GetTensor(matmul.Inputs[1]));
        var q = checkpoint.Tensors[BertTensorNames.Query(0)];
        Assert.Equal((384, 384), (q.Rows, q.Columns));
        Assert.Equal(raw[5 * 384 + 7], q.Data[7 * 384 + 5]);
        Assert.Equal(raw[383 * 384 + 1], q.Data[1 * 384 + 383]);
    }
}
