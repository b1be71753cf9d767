// Loads LLamaSharp's CPU build of llama.cpp once, silences its logging, and caches loaded models; not a public API.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using LLama.Native;

namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// Process-wide llama.cpp state for the reference harness: the native library (LLamaSharp picks the best AVX build of
/// LLamaSharp.Backend.Cpu's runtimes/&lt;rid&gt;/native/&lt;avx&gt;/ folders), a log sink that drops everything unless
/// QUILL_LLAMACPP_LOG=1, and one CPU-only model handle per file, kept until the process exits.
/// </summary>
internal static unsafe class LlamaCppRuntime
{
    private static readonly Lazy<NativeState> State = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<ModelKey, Lazy<SafeLlamaModelHandle>> Models = new();

    // Kept in a static field: llama.cpp holds the function pointer for the life of the process.
    private static readonly NativeLogConfig.LLamaLogCallback LogSink = WriteLog;
    private static readonly bool LogToStderr = Environment.GetEnvironmentVariable("QUILL_LLAMACPP_LOG") == "1";

    /// <summary>Full path of the libllama that was loaded.</summary>
    public static string LibraryPath => State.Value.LibraryPath;

    /// <summary>
    /// The loaded model for a file, loading it on first use (CPU only, memory-mapped, no GPU layers);
    /// <paramref name="vocabOnly"/> loads just metadata and vocabulary (enough for tokenizer calls, and for vocab-only files);
    /// <paramref name="memoryMap"/> false reads the weights into llama.cpp's own buffers (llama-bench's <c>--mmap 0</c>).
    /// </summary>
    public static SafeLlamaModelHandle Model(string modelPath, bool vocabOnly = false, bool memoryMap = true)
    {
        _ = State.Value;
        var file = new FileInfo(modelPath);
        if (!file.Exists) throw new FileNotFoundException($"{modelPath}: expected a GGUF model file, found nothing", modelPath);
        // The key includes size and time so a test that rewrites a path gets the new model, not a stale one.
        var key = new ModelKey(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks, vocabOnly, memoryMap);
        Lazy<SafeLlamaModelHandle> entry = Models.GetOrAdd(key, k => new Lazy<SafeLlamaModelHandle>(() => Load(k.Path, k.VocabOnly, k.MemoryMap)));
        try
        {
            return entry.Value;
        }
        catch
        {
            Models.TryRemove(new KeyValuePair<ModelKey, Lazy<SafeLlamaModelHandle>>(key, entry));
            throw;
        }
    }

    /// <summary>
    /// A context for one sequence of up to <paramref name="tokens"/> tokens, decoded in one batch; keys and values cached
    /// as <paramref name="kvCache"/> says (F32 unless asked).
    /// </summary>
    public static SafeLLamaContextHandle Context(SafeLlamaModelHandle model, int tokens, int threads, int batch = 0, LLamaPoolingType? embeddings = null,
        LlamaCppKvCache kvCache = LlamaCppKvCache.F32)
    {
        if (threads <= 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be positive");
        uint size = (uint)Math.Max(tokens, 1);
        LLamaContextParams p = LLamaContextParams.Default();
        // A whole number of 256-cell pages, as contexts people run are: llama.cpp attends over all n_ctx cells (the unused ones
        // masked), and a cell count that is not a multiple of 16 sends the softmax's and tinyBLAS's last cells down scalar tails.
        p.n_ctx = (size + 255) / 256 * 256;
        p.n_batch = batch > 0 ? (uint)batch : size;
        p.n_ubatch = p.n_batch;
        p.n_seq_max = 1;
        p.n_threads = threads;
        p.n_threads_batch = threads;
        p.embeddings = embeddings is not null;
        if (embeddings is { } pooling) p.llama_pooling_type = pooling;
        p.offload_kqv = false;
        p.op_offload = false;
        p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        // F32 keys and values unless asked: the default F16 cache would round every K and V and blur comparisons with an
        // engine caching F32. With F16 (and flash attention off) llama.cpp also rounds q and the softmax probabilities to
        // F16 in its KQ and KQV matmuls.
        GGMLType kv = kvCache == LlamaCppKvCache.F16 ? GGMLType.GGML_TYPE_F16 : GGMLType.GGML_TYPE_F32;
        p.type_k = kv;
        p.type_v = kv;
        return SafeLLamaContextHandle.Create(model, p);
    }

    /// <summary>llama_detokenize, called directly: LLamaSharp 0.30 does not bind it.</summary>
    public static string Detokenize(SafeLlamaModelHandle model, ReadOnlySpan<int> ids, bool removeSpecial, bool unparseSpecial)
    {
        NativeState state = State.Value;
        nint vocab = state.ModelGetVocab(model.DangerousGetHandle());
        int capacity = Math.Max(64, ids.Length * 16);
        while (true)
        {
            var text = new byte[capacity];
            int written;
            fixed (int* tokens = ids)
            fixed (byte* buffer = text)
            {
                written = state.Detokenize(vocab, tokens, ids.Length, buffer, capacity, removeSpecial ? (byte)1 : (byte)0, unparseSpecial ? (byte)1 : (byte)0);
            }
            if (written >= 0) return System.Text.Encoding.UTF8.GetString(text, 0, written);
            capacity = -written;
        }
    }

    private static SafeLlamaModelHandle Load(string path, bool vocabOnly, bool memoryMap)
    {
        LLamaModelParams p = LLamaModelParams.Default();
        if (!memoryMap) p.load_mode = LLamaLoadMode.None; // default: memory-mapped
        p.n_gpu_layers = 0;
        p.split_mode = GPUSplitMode.None;
        p.vocab_only = vocabOnly;
        try
        {
            return SafeLlamaModelHandle.LoadFromFile(path, p);
        }
        catch (Exception e) when (e is LLama.Exceptions.RuntimeError or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: expected a model llama.cpp can load, llama.cpp refused it ({e.Message}); set QUILL_LLAMACPP_LOG=1 for " +
                $"its log", e);
        }
    }

    private static NativeState Initialize()
    {
        if (!NativeLibraryConfig.LLama.LibraryHasLoaded)
        {
            NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithAutoFallback(true).WithLogCallback(LogSink);
        }
        NativeApi.llama_empty_call(); // forces LLamaSharp to load libllama and its ggml libraries now
        NativeLogConfig.llama_log_set(LogSink); // llama_log_set also routes ggml's log

        string path = LoadedLibraryPath();
        nint library = NativeLibrary.Load(path); // the same handle the loader already holds
        var state = new NativeState(
            path,
            (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "llama_model_get_vocab"),
            (delegate* unmanaged<nint, int*, int, byte*, int, byte, byte, int>)NativeLibrary.GetExport(library, "llama_detokenize"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeModels();
        return state;
    }

    private static string LoadedLibraryPath()
    {
        string[] names = ["libllama.so", "llama.dll", "libllama.dylib"];
        foreach (ProcessModule module in Process.GetCurrentProcess().Modules)
        {
            if (names.Contains(Path.GetFileName(module.FileName), StringComparer.OrdinalIgnoreCase)) return module.FileName;
        }
        throw new DllNotFoundException("llama.cpp: expected LLamaSharp to have loaded libllama, found no such module in the process");
    }

    private static void DisposeModels()
    {
        foreach (Lazy<SafeLlamaModelHandle> entry in Models.Values)
        {
            if (entry.IsValueCreated) entry.Value.Dispose();
        }
        Models.Clear();
    }

    private static void WriteLog(LLamaLogLevel level, string message)
    {
        if (LogToStderr) Console.Error.Write(message);
    }

    private readonly record struct ModelKey(string Path, long Length, long WriteTicks, bool VocabOnly, bool MemoryMap);

    private sealed class NativeState(
        string libraryPath,
        delegate* unmanaged<nint, nint> modelGetVocab,
        delegate* unmanaged<nint, int*, int, byte*, int, byte, byte, int> detokenize)
    {
        public string LibraryPath { get; } = libraryPath;

        public nint ModelGetVocab(nint model) => modelGetVocab(model);

        public int Detokenize(nint vocab, int* tokens, int count, byte* text, int capacity, byte removeSpecial, byte unparseSpecial) =>
            detokenize(vocab, tokens, count, text, capacity, removeSpecial, unparseSpecial);
    }
}
