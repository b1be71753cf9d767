// A loaded Llama-family decoder: config, weights and the compute pool; the per-sequence work lives in LlamaState and LlamaBatchedState.
using Quill.Formats.Gguf;
using Quill.Tensors.Threading;

namespace Quill.Models.Llama;

/// <summary>Llama 2/3, TinyLlama, Mistral and Qwen2 decoders from GGUF.</summary>
public sealed class LlamaModel : ICausalModel, IObservableModel, IDisposable
{
    private readonly WeightStore _store;

    private LlamaModel(LlamaConfig config, WeightStore store, LlamaWeights weights, ComputePool pool, LlamaLora? lora)
    {
        Config = config;
        Lora = lora;
        _store = store;
        Weights = weights;
        Pool = pool;
    }

    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }
    public ComputePool Pool { get; }

    /// <summary>LoRA adapters applied at run time beside the untouched base weights; null when there are none.</summary>
    internal LlamaLora? Lora { get; }
    public int VocabSize => Config.VocabSize;
    public int ContextLength => Config.ContextLength;

    /// <summary>
    /// The element type of the KV caches <see cref="CreateState"/> and <see cref="CreateBatchedState"/> make from now on
    /// (F16 unless set; states already made keep theirs).
    /// </summary>
    public KvCacheType KvCacheType { get; set; } = KvCacheType.F16;

    /// <summary>Sees every matrix input of the forward passes run from now on (calibration); null by default.</summary>
    public IMatMulInputObserver? InputObserver { get; set; }

    /// <summary>
    /// Reads the config and weights of an open GGUF file, which must stay open while the model is used.
    /// <paramref name="adapters"/> (file name for errors, contents, user scale) are checked against the model and
    /// applied at run time: y += scale·(alpha/rank)·B·A·x on each adapted projection.
    /// </summary>
    public static LlamaModel Load(GgufFile file, WeightLoading loading, int threads, IProgress<double>? progress = null,
        IReadOnlyList<(string File, LoraAdapterWeights Adapter, float Scale)>? adapters = null)
    {
        var config = LlamaConfig.FromGguf(file);
        var lora = LlamaLora.Bind(config, adapters ?? []);
        var store = WeightStore.Load(file, loading, progress);
        try
        {
            var weights = LlamaWeights.Load(store, config);
            return new LlamaModel(config, store, weights, new ComputePool(threads), lora);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public IInferenceState CreateState(int contextLength) => new LlamaState(this, contextLength);

    public IBatchedInferenceState CreateBatchedState(int slots, int contextLength) => new LlamaBatchedState(this, slots, contextLength);

    public void Dispose()
    {
        Pool.Dispose();
        _store.Dispose();
    }
}
