// The library's front door for decoders: open a GGUF file, pick the architecture, load weights and tokenizer.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Gpt2;
using Quill.Models.Llama;
using Quill.Tensors.Threading;
using Quill.Tokenizers;

namespace Quill;

/// <summary>How to load a model.</summary>
public sealed record LoadOptions
{
    /// <summary>Threads for the forward pass; 0 = every core.</summary>
    public int Threads { get; init; }
    public WeightLoading Loading { get; init; } = WeightLoading.Copy;
    public IProgress<double>? Progress { get; init; }

    /// <summary>
    /// How the KV cache stores keys and values: F16 (the default, as llama.cpp's; half the memory) or F32 (exact, twice the
    /// memory). Applies to every state the model makes: generation, chat, the server's slots.
    /// </summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F16;

    /// <summary>
    /// LoRA adapter files (llama.cpp's GGUF adapter format) applied at run time, each with its own scale; the base
    /// weights stay as the file holds them. Llama-family models only.
    /// </summary>
    public IReadOnlyList<LoraAdapterOption> LoraAdapters { get; init; } = [];
}

/// <summary>One LoRA adapter to apply: its GGUF file and a user scale (y += Scale·(alpha/rank)·B·A·x).</summary>
public sealed record LoraAdapterOption(string Path, float Scale = 1f);

/// <summary>
/// A decoder and its tokenizer, loaded from one GGUF file. The same for every architecture: the tokenizer is read once
/// from the file's tokenizer.* keys, the architecture only picks the model class, and Dispose releases the model
/// (weights, compute pool) and then the file.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private readonly GgufFile _file;

    private LanguageModel(GgufFile file, ICausalModel model, ITokenizer tokenizer, string name)
    {
        _file = file;
        Model = model;
        Tokenizer = tokenizer;
        Name = name;
    }

    public ICausalModel Model { get; }
    public ITokenizer Tokenizer { get; }

    /// <summary>general.name, or the file name.</summary>
    public string Name { get; }
    public string Path => _file.Path;
    public GgufFile File => _file;

    public static LanguageModel Load(string path, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file", path);
        var file = GgufFile.Open(path);
        try
        {
            string arch = file.RequireString("general.architecture");
            CheckSupported(System.IO.Path.GetFileName(path), arch, options.LoraAdapters);
            KvCacheType kv = options.KvCacheType;
            _ = kv.ElementBytes(); // refuses an undefined value before anything is loaded
            ITokenizer tokenizer = GgufTokenizerLoader.Load(file);
            int threads = options.Threads > 0 ? options.Threads : ComputePool.DefaultThreadCount;
            ICausalModel model;
            if (arch == Gpt2Config.Architecture)
            {
                var gpt2 = Gpt2Model.Load(file, tokenizer, options.Loading, threads, options.Progress);
                gpt2.KvCacheType = kv;
                model = gpt2;
            }
            else
            {
                var llama = LlamaModel.Load(file, options.Loading, threads, options.Progress,
                    [.. options.LoraAdapters.Select(a => (a.Path, LoraAdapterGguf.Read(a.Path), a.Scale))]);
                llama.KvCacheType = kv;
                model = llama;
            }
            string name = file.GetString("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(path);
            return new LanguageModel(file, model, tokenizer, name);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Refuses an architecture Quill cannot run, and LoRA adapters it cannot apply, before anything is loaded.</summary>
    private static void CheckSupported(string fileName, string arch, IReadOnlyList<LoraAdapterOption> adapters)
    {
        if (arch != Gpt2Config.Architecture && !LlamaConfig.IsSupported(arch))
            throw new ModelFormatException($"{fileName}: unknown architecture '{arch}' (supported: llama, mistral, qwen2, gpt2)");
        if (adapters.Count > 0 && arch == Gpt2Config.Architecture)
            throw new ModelFormatException($"{fileName}: LoRA adapters apply to llama, mistral and qwen2 models, not '{arch}'");
        foreach (LoraAdapterOption a in adapters)
            if (!float.IsFinite(a.Scale)) throw new ArgumentException($"{a.Path}: expected a finite LoRA scale, found {a.Scale}");
    }

    public void Dispose()
    {
        // Every architecture's model owns its weights and compute pool; the file goes last, as mapped weights point into it.
        if (Model is IDisposable owned) owned.Dispose();
        _file.Dispose();
    }
}
