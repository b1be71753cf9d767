// A loaded Llama-family decoder: config, weights and the compute pool; the per-sequence work lives in LlamaState and LlamaBatchedState.
using Quill.Formats.Gguf;
using Quill.Tensors.Threading;

namespace Quill.Models.Llama;

/// <summary>Llama 2/3, TinyLlama, Mistral and Qwen2 decoders from GGUF.</summary>
public sealed class LlamaModel : ICausalModel, IDisposable
{
    private readonly WeightStore _store;

    private LlamaModel(LlamaConfig config, WeightStore store, LlamaWeights weights, ComputePool pool)
    {
        Config = config;
        _store = store;
        Weights = weights;
        Pool = pool;
    }

    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }
    public ComputePool Pool { get; }
    public int VocabSize => Config.VocabSize;
    public int ContextLength => Config.ContextLength;

    /// <summary>Reads the config and weights of an open GGUF file, which must stay open while the model is used.</summary>
    public static LlamaModel Load(GgufFile file, WeightLoading loading, int threads, IProgress<double>? progress = null)
    {
        var config = LlamaConfig.FromGguf(file);
        var store = WeightStore.Load(file, loading, progress);
        try
        {
            var weights = LlamaWeights.Load(store, config);
            return new LlamaModel(config, store, weights, new ComputePool(threads));
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
