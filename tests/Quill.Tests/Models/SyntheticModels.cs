// Synthetic GGUF models made once per test run in a temp folder and shared by the tests that need them.
using System.Collections.Concurrent;
using Quill.Models.Synthetic;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Models;

internal static class SyntheticModels
{
    private static readonly string Folder = CreateFolder();
    private static readonly ConcurrentDictionary<string, Lazy<string>> Made = new();

    private static string CreateFolder()
    {
        string folder = Directory.CreateTempSubdirectory("quill-models-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { } // a file still mapped by a model the runtime has not finalised
            catch (UnauthorizedAccessException) { }
        };
        return folder;
    }

    /// <summary>The small GQA Llama (dim 64, 2 layers, 4 heads over 2 KV heads) the batching and prompt-reuse tests serve, on 2 threads.</summary>
    public static LanguageModel SmallLlama() =>
        LanguageModel.Load(Get(new SyntheticModelOptions
        {
            Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 128, VocabSize = 512,
            Seed = 7
        }), new LoadOptions { Threads = 2 });

    /// <summary>Writes (once) a model with these options and returns its path.</summary>
    public static string Get(SyntheticModelOptions options)
    {
        string key = options.ToString();
        return Made.GetOrAdd(key, _ => new Lazy<string>(() =>
        {
            string path = Path.Combine(Folder, $"m{Made.Count}-{Guid.NewGuid():N}.gguf");
            SyntheticModelWriter.Write(path, options);
            return path;
        })).Value;
    }

    /// <summary>Writes an F32 model (once) and quantizes it with llama.cpp's own quantizer (e.g. "Q4_K_M").</summary>
    public static string Quantized(SyntheticModelOptions options, string llamaCppType)
    {
        string source = Get(options with { Type = Quill.Tensors.GgmlType.F32 });
        return Made.GetOrAdd(options + llamaCppType, _ => new Lazy<string>(() =>
        {
            string path = Path.Combine(Folder, $"q{Made.Count}-{llamaCppType}-{Guid.NewGuid():N}.gguf");
            LlamaCppReference.Quantize(source, path, llamaCppType);
            return path;
        })).Value;
    }
}
