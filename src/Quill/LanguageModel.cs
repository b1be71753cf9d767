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
    /// LoRA adapter files (llama.cpp's GGUF adapter format) applied at run time, each with its own scale; the base
    /// weights stay as the file holds them. Llama-family models only.
    /// </summary>
    public IReadOnlyList<LoraAdapterOption> LoraAdapters { get; init; } = [];
}

/// <summary>One LoRA adapter to apply: its GGUF file and a user scale (y += Scale·(alpha/rank)·B·A·x).</summary>
public sealed record LoraAdapterOption(string Path, float Scale = 1f);

/// <summary>A decoder and its tokenizer, loaded from one GGUF file. Dispose to release the weights and the file.</summary>
public sealed class LanguageModel : IDisposable
{
    private readonly GgufFile _file;
    private readonly IDisposable _owner;

    private LanguageModel(GgufFile file, ICausalModel model, IDisposable owner, ITokenizer tokenizer, string name)
    {
        _file = file;
        Model = model;
        _owner = owner;
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
            int threads = options.Threads > 0 ? options.Threads : ComputePool.DefaultThreadCount;
            string name = file.GetString("general.name") ?? System.IO.Path.GetFileNameWithoutExtension(path);
            if (arch == Gpt2Config.Architecture)
            {
                if (options.LoraAdapters.Count > 0)
                    throw new ModelFormatException($"{System.IO.Path.GetFileName(path)}: LoRA adapters apply to llama, mistral and qwen2 models, not '{arch}'");
                var gpt2 = Gpt2Model.Load(file, options.Loading, threads, options.Progress);
                return new LanguageModel(file, gpt2, gpt2, gpt2.Tokenizer, name);
            }
            if (!LlamaConfig.IsSupported(arch))
                throw new ModelFormatException($"{System.IO.Path.GetFileName(path)}: unknown architecture '{arch}' (supported: llama, mistral, qwen2, gpt2)");
            var tokenizer = GgufTokenizerLoader.Load(file);
            foreach (var a in options.LoraAdapters)
                if (!float.IsFinite(a.Scale)) throw new ArgumentException($"{a.Path}: expected a finite LoRA scale, found {a.Scale}");
            var adapters = options.LoraAdapters.Select(a => (a.Path, LoraAdapterGguf.Read(a.Path), a.Scale)).ToList();
            var model = LlamaModel.Load(file, options.Loading, threads, options.Progress, adapters);
            return new LanguageModel(file, model, model, tokenizer, name);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _owner.Dispose();
        _file.Dispose();
    }
}
