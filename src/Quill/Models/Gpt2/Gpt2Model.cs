// A loaded GPT-2 decoder (GGUF or Hugging Face safetensors): config, weights, tokenizer and compute pool; the per-sequence work lives in Gpt2State.
using Quill.Conversion;
using Quill.Formats.Gguf;
using Quill.Tensors.Threading;
using Quill.Tokenizers;

namespace Quill.Models.Gpt2;

/// <summary>GPT-2 (learned positions, LayerNorm, fused QKV, GELU) from a GGUF file or a transformers checkpoint folder.</summary>
public sealed class Gpt2Model : ICausalModel, IDisposable
{
    private readonly IDisposable _weightOwner;
    private readonly IDisposable? _fileOwner;

    private Gpt2Model(Gpt2Config config, Gpt2Weights weights, ITokenizer tokenizer, string name, IDisposable weightOwner, IDisposable? fileOwner, int threads)
    {
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        Name = name;
        _weightOwner = weightOwner;
        _fileOwner = fileOwner;
        Pool = new ComputePool(threads > 0 ? threads : ComputePool.DefaultThreadCount);
    }

    public Gpt2Config Config { get; }
    public Gpt2Weights Weights { get; }
    public ITokenizer Tokenizer { get; }

    /// <summary>general.name, or the file or folder name.</summary>
    public string Name { get; }
    public ComputePool Pool { get; }
    public int VocabSize => Config.VocabSize;
    public int ContextLength => Config.ContextLength;

    /// <summary>
    /// The element type of the KV caches <see cref="CreateState(int)"/> and <see cref="CreateBatchedState"/> make from now on
    /// (F16 unless set; states already made keep theirs).
    /// </summary>
    public KvCacheType KvCacheType { get; set; } = KvCacheType.F16;

    /// <summary>
    /// Reads config and weights of an open GGUF file, which must stay open while the model is used; <paramref name="tokenizer"/>
    /// is the file's own, loaded once by the caller (<see cref="LanguageModel"/>).
    /// </summary>
    public static Gpt2Model Load(GgufFile file, ITokenizer tokenizer, WeightLoading loading, int threads, IProgress<double>? progress = null) =>
        Load(file, tokenizer, loading, threads, progress, ownsFile: false);

    private static Gpt2Model Load(GgufFile file, ITokenizer tokenizer, WeightLoading loading, int threads, IProgress<double>? progress, bool ownsFile)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var config = Gpt2Config.FromGguf(file);
        var store = WeightStore.Load(file, loading, progress);
        try
        {
            var weights = Gpt2Weights.Load(store, config);
            string name = file.GetString("general.name") ?? Path.GetFileNameWithoutExtension(file.Path);
            return new Gpt2Model(config, weights, tokenizer, name, store, ownsFile ? file : null, threads);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a transformers GPT-2 folder: config.json, model.safetensors (or its shards) and tokenizer.json (or
    /// vocab.json + merges.txt). Weights are converted to F32 in memory; <paramref name="threads"/> 0 = every core.
    /// </summary>
    public static Gpt2Model FromSafetensors(string folder, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var checkpoint = HuggingFaceCheckpoint.Open(folder);
        try
        {
            var tokenizer = Gpt2TokenizerFiles.Load(folder);
            var (config, weights, owner) = Gpt2CheckpointWeights.Read(checkpoint);
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            return new Gpt2Model(config, weights, tokenizer, name, owner, null, threads);
        }
        finally
        {
            checkpoint.Dispose(); // every tensor was copied out
        }
    }

    /// <summary>Opens <paramref name="path"/> as a GGUF file (kept open by the model) or as a checkpoint folder.</summary>
    public static Gpt2Model Open(string path, int threads = 0)
    {
        if (Directory.Exists(path)) return FromSafetensors(path, threads);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: expected a GPT-2 GGUF file or checkpoint folder, found nothing", path);
        var file = GgufFile.Open(path);
        try
        {
            return Load(file, GgufTokenizerLoader.Load(file), WeightLoading.Copy, threads, progress: null, ownsFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A sequence state with its KV cache, capped at <see cref="Gpt2Config.ContextLength"/> tokens.</summary>
    public Gpt2State CreateState(int contextLength) => new(this, contextLength);

    IInferenceState ICausalModel.CreateState(int contextLength) => CreateState(contextLength);

    public IBatchedInferenceState CreateBatchedState(int slots, int contextLength) => new Gpt2BatchedState(this, slots, contextLength);

    public void Dispose()
    {
        Pool.Dispose();
        _weightOwner.Dispose();
        _fileOwner?.Dispose();
    }
}
