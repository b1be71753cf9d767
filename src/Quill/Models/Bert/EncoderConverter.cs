// Converts BERT encoders from ONNX or Hugging Face safetensors into llama.cpp-loadable "bert" GGUF files; the
// entry point a `quill convert` command calls. Not the command, and not a quantizer (tensors stay F32).
using Quill.Formats.Onnx;

namespace Quill.Models.Bert;

public static class EncoderConverter
{
    /// <summary>
    /// Writes <paramref name="outPath"/> from an ONNX BERT export and a vocab.txt (null: the built-in bert-base-uncased
    /// vocabulary, which all-MiniLM-L6-v2 uses). The file is written through a temporary file and a rename.
    /// </summary>
    public static BertCheckpoint OnnxToGguf(string onnxPath, string? vocabPath, string outPath, string? name = null)
    {
        BertCheckpoint checkpoint;
        using (var onnx = OnnxFile.Open(onnxPath)) checkpoint = BertOnnxReader.Read(onnx, name);
        checkpoint = checkpoint.WithVocabulary(BertVocabulary.FromVocabFile(vocabPath));
        BertGguf.Write(checkpoint, outPath);
        return checkpoint;
    }

    /// <summary>Writes <paramref name="outPath"/> from a Hugging Face BertModel folder (config.json, model.safetensors, vocab.txt).</summary>
    public static BertCheckpoint SafetensorsToGguf(string folder, string outPath, string? name = null)
    {
        var checkpoint = BertSafetensorsReader.Read(folder, name);
        if (checkpoint.Vocabulary is null) throw new FileNotFoundException($"{folder}: expected vocab.txt beside model.safetensors, found none");
        BertGguf.Write(checkpoint, outPath);
        return checkpoint;
    }
}
