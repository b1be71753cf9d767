// Quill applying a LoRA adapter file against llama.cpp (LLamaSharp 0.30) applying the same file to the same base.
using LLama.Native;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;
using static Quill.Tests.Lora.LoraTestFiles;

namespace Quill.Tests.Lora;

public sealed class LoraLlamaCppTests : IDisposable
{
    // As LlamaDifferentialTests: relative to the largest logit; the quantized base rounds activations differently.
    private const double F32Tolerance = 1e-4;
    private const double QuantizedTolerance = 2e-2;

    // The adapter must move llama.cpp's logits far more than the tolerance, or agreement proves nothing.
    private const float MinimumAdapterEffect = 0.05f;

    private static readonly int[] Prompt = [1, 17, 230, 45, 99, 3, 201, 12, 64];
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-llamacpp-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(GgmlType.F32, "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down", 1f, F32Tolerance)]
    [InlineData(GgmlType.F32, "attn_v,ffn_up", 0.5f, F32Tolerance)]
    [InlineData(GgmlType.Q8_0, "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down", 1f, QuantizedTolerance)]
    public void QuillAppliesTheAdapterAsLlamaCppDoes(GgmlType type, string projections, float scale, double tolerance)
    {
        string basePath = Base(type);
        string adapter = Write(_folder, Random(BaseOptions(type), rank: 4, alpha: 12f, projections: projections.Split(',')));

        var theirs = LlamaCppLogits(basePath, adapter, scale, Prompt);
        var ours = Logits(basePath, Prompt, new LoraAdapterOption(adapter, scale));
        var theirBase = LlamaCppReference.Logits(basePath, Prompt).SelectMany(r => r).ToArray();

        Assert.True(MaxDifference(theirs, theirBase) > MinimumAdapterEffect, "llama.cpp should apply the adapter");
        double maxDiff = MaxDifference(theirs, ours), maxLogit = MaxAbs(theirs);
        Assert.True(maxDiff <= tolerance * maxLogit, $"max |Δlogit| {maxDiff:G4} exceeds {tolerance} × {maxLogit:G4}");
    }

    /// <summary>llama.cpp's logits (T·V) with the adapter set on the context at <paramref name="scale"/>; CPU, F32 KV cache, one batch.</summary>
    private static float[] LlamaCppLogits(string modelPath, string adapterPath, float scale, int[] ids)
    {
        _ = LlamaCppReference.Describe(modelPath); // loads the native library, silences its log
        var mp = LLamaModelParams.Default();
        mp.n_gpu_layers = 0;
        mp.split_mode = GPUSplitMode.None;
        using var model = SafeLlamaModelHandle.LoadFromFile(modelPath, mp);
        var adapter = model.LoadLoraFromFile(adapterPath);
        var cp = LLamaContextParams.Default();
        cp.n_ctx = (uint)ids.Length;
        cp.n_batch = cp.n_ubatch = (uint)ids.Length;
        cp.n_seq_max = 1;
        cp.n_threads = cp.n_threads_batch = 2;
        cp.offload_kqv = false;
        cp.op_offload = false;
        cp.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        cp.type_k = GGMLType.GGML_TYPE_F32;
        cp.type_v = GGMLType.GGML_TYPE_F32;
        using var context = SafeLLamaContextHandle.Create(model, cp);
        var adapters = new (LoraAdapter, float)[] { (adapter, scale) };
        context.SetLoraAdapters(adapters);
        var batch = new LLamaBatch();
        for (int t = 0; t < ids.Length; t++) batch.Add(ids[t], t, LLamaSeqId.Zero, logits: true);
        Assert.Equal(DecodeResult.Ok, context.Decode(batch));
        int vocab = model.Vocab.Count;
        var logits = new float[ids.Length * vocab];
        for (int t = 0; t < ids.Length; t++) context.GetLogitsIth(t)[..vocab].CopyTo(logits.AsSpan(t * vocab, vocab));
        return logits;
    }
}
