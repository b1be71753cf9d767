// Writes tiny random-weight Llama GGUF files (F32) that llama.cpp loads, for differential tests; not a converter.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// Builds a Llama GGUF the way convert_hf_to_gguf.py lays one out for llama.cpp's LLM_ARCH_LLAMA. Shapes are ne0 first:
/// a linear layer y = W x with x of size in and y of size out is stored as [in, out] (each output row is contiguous).
/// <code>
/// token_embd.weight          [C, V]        blk.N.attn_q.weight       [C, H*D]
/// blk.N.attn_norm.weight     [C]           blk.N.attn_k.weight       [C, Hkv*D]
/// blk.N.ffn_norm.weight      [C]           blk.N.attn_v.weight       [C, Hkv*D]
/// output_norm.weight         [C]           blk.N.attn_output.weight  [H*D, C]
/// output.weight              [C, V]        blk.N.ffn_gate/up.weight  [C, F]   blk.N.ffn_down.weight [F, C]
/// </code>
/// llama.cpp applies "normal" RoPE to this architecture: it rotates adjacent pairs (x[2i], x[2i+1]) of each head
/// (the converter permutes Hugging Face's q/k rows so that this matches HF's rotate-half). Random weights make the
/// permutation moot here, but an engine compared against llama.cpp on these files must rotate adjacent pairs.
/// </summary>
public static class TinyLlamaFiles
{
    private static readonly ConcurrentDictionary<TinyLlamaOptions, Lazy<string>> Temporary = new();
    private static readonly string TemporaryFolder = Path.Combine(Path.GetTempPath(), $"quill-tiny-llama-{Environment.ProcessId}");

    static TinyLlamaFiles()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteTemporaryFolder();
    }

    /// <summary>
    /// A tiny Llama file for these options (default options when null), written once per process into a temporary folder
    /// that is deleted at exit. Callers must not modify the file.
    /// </summary>
    public static string Shared(TinyLlamaOptions? options = null)
    {
        options ??= new TinyLlamaOptions();
        return Temporary.GetOrAdd(options, o => new Lazy<string>(() =>
        {
            Directory.CreateDirectory(TemporaryFolder);
            string path = Path.Combine(TemporaryFolder, $"tiny-llama-{(uint)o.GetHashCode():x8}-{Guid.NewGuid():N}.gguf");
            Write(path, o);
            return path;
        })).Value;
    }

    /// <summary>Writes a tiny Llama with seeded random F32 weights to <paramref name="path"/>.</summary>
    public static void Write(string path, TinyLlamaOptions? options = null) => Build(options ?? new TinyLlamaOptions()).WriteTo(path);

    /// <summary>The GGUF writer holding the metadata and tensors, for callers that want to add or change keys first.</summary>
    public static GgufWriter Build(TinyLlamaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int c = options.EmbeddingLength, f = options.FeedForwardLength, v = TinyLlamaVocabulary.Count;

        var writer = new GgufWriter();
        writer.Set("general.architecture", "llama");
        writer.Set("general.name", "quill-tiny-llama");
        writer.Set("general.file_type", 0u); // LLAMA_FTYPE_ALL_F32
        writer.Set("llama.context_length", (uint)options.ContextLength);
        writer.Set("llama.embedding_length", (uint)c);
        writer.Set("llama.block_count", (uint)options.BlockCount);
        writer.Set("llama.feed_forward_length", (uint)f);
        writer.Set("llama.attention.head_count", (uint)options.HeadCount);
        writer.Set("llama.attention.head_count_kv", (uint)options.HeadCountKv);
        writer.Set("llama.rope.dimension_count", (uint)options.HeadSize);
        writer.Set("llama.attention.layer_norm_rms_epsilon", options.RmsEpsilon);
        writer.Set("llama.rope.freq_base", options.RopeFrequencyBase);
        writer.Set("llama.vocab_size", (uint)v);
        writer.Set("tokenizer.ggml.model", "llama");
        writer.Set("tokenizer.ggml.tokens", TinyLlamaVocabulary.Tokens.ToArray());
        writer.Set("tokenizer.ggml.scores", TinyLlamaVocabulary.Scores.ToArray());
        writer.Set("tokenizer.ggml.token_type", TinyLlamaVocabulary.Types.ToArray());
        writer.Set("tokenizer.ggml.bos_token_id", (uint)TinyLlamaVocabulary.BosId);
        writer.Set("tokenizer.ggml.eos_token_id", (uint)TinyLlamaVocabulary.EosId);
        writer.Set("tokenizer.ggml.unknown_token_id", (uint)TinyLlamaVocabulary.UnknownId);
        writer.Set("tokenizer.ggml.add_bos_token", true);
        writer.Set("tokenizer.ggml.add_eos_token", false);

        foreach (Tensor tensor in Weights(options))
        {
            writer.AddTensor(tensor.Name, GgmlType.F32, tensor.Shape, MemoryMarshal.AsBytes(tensor.Values.AsSpan()).ToArray());
        }
        return writer;
    }

    /// <summary>The seeded weights in file order, for scalar reference forwards in tests.</summary>
    public static IReadOnlyList<Tensor> Weights(TinyLlamaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int c = options.EmbeddingLength, f = options.FeedForwardLength, v = TinyLlamaVocabulary.Count;
        int q = options.HeadCount * options.HeadSize, kv = options.KeyValueLength;
        var random = new Random(options.Seed);
        var tensors = new List<Tensor> { new("token_embd.weight", [c, v], Uniform(random, (long)c * v, 1f)) };
        for (int b = 0; b < options.BlockCount; b++)
        {
            string p = $"blk.{b}.";
            tensors.Add(new(p + "attn_norm.weight", [c], Norm(random, c)));
            tensors.Add(new(p + "attn_q.weight", [c, q], Linear(random, c, q)));
            tensors.Add(new(p + "attn_k.weight", [c, kv], Linear(random, c, kv)));
            tensors.Add(new(p + "attn_v.weight", [c, kv], Linear(random, c, kv)));
            tensors.Add(new(p + "attn_output.weight", [q, c], Linear(random, q, c)));
            tensors.Add(new(p + "ffn_norm.weight", [c], Norm(random, c)));
            tensors.Add(new(p + "ffn_gate.weight", [c, f], Linear(random, c, f)));
            tensors.Add(new(p + "ffn_up.weight", [c, f], Linear(random, c, f)));
            tensors.Add(new(p + "ffn_down.weight", [f, c], Linear(random, f, c)));
        }
        tensors.Add(new("output_norm.weight", [c], Norm(random, c)));
        tensors.Add(new("output.weight", [c, v], Linear(random, c, v, gain: 4f)));
        return tensors;
    }

    /// <summary>One F32 tensor: its GGUF name, its shape ne0 first, and its values in file order.</summary>
    public sealed record Tensor(string Name, long[] Shape, float[] Values);

    // Uniform in ±gain·sqrt(3/in): unit-variance inputs give roughly gain-variance outputs, so activations stay O(1).
    private static float[] Linear(Random random, int inputs, int outputs, float gain = 1f) =>
        Uniform(random, (long)inputs * outputs, gain * MathF.Sqrt(3f / inputs));

    // RMSNorm gains near 1, not exactly 1, so a kernel that ignores them is caught.
    private static float[] Norm(Random random, int length)
    {
        float[] values = Uniform(random, length, 0.2f);
        for (int i = 0; i < values.Length; i++) values[i] += 1f;
        return values;
    }

    private static float[] Uniform(Random random, long count, float limit)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * limit;
        return values;
    }

    private static void DeleteTemporaryFolder()
    {
        try
        {
            if (Directory.Exists(TemporaryFolder)) Directory.Delete(TemporaryFolder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
