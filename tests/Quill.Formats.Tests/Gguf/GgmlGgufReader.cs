// ggml's own GGUF reader (gguf_init_from_file in the libggml-base that LLamaSharp ships), bound for differential tests; not used by Quill itself.
using System.Runtime.InteropServices;

namespace Quill.Formats.Tests.Gguf;

/// <summary>
/// Opens a GGUF file with ggml's C reader and reports what it saw. The library is loaded from the test output's
/// runtimes/&lt;rid&gt;/native/noavx folder (the build that runs on any x64 CPU).
/// </summary>
internal sealed unsafe class GgmlGgufReader : IDisposable
{
    private static readonly Lazy<Api> Functions = new(Load);
    private nint _context;

    private GgmlGgufReader(nint context) => _context = context;

    /// <summary>ggml's reading of the file, or null when ggml rejects it.</summary>
    public static GgmlGgufReader? TryOpen(string path)
    {
        Api api = Functions.Value;
        nint name = Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            nint context = api.InitFromFile(name, new InitParams { NoAlloc = 1, Context = 0 });
            return context == 0 ? null : new GgmlGgufReader(context);
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    public uint Version => Functions.Value.GetVersion(_context);

    public long Alignment => (long)Functions.Value.GetAlignment(_context);

    public long DataOffset => (long)Functions.Value.GetDataOffset(_context);

    public long KeyValueCount => Functions.Value.GetKeyValueCount(_context);

    public long TensorCount => Functions.Value.GetTensorCount(_context);

    public string TensorName(long id) => Marshal.PtrToStringUTF8(Functions.Value.GetTensorName(_context, id))!;

    public long TensorOffset(long id) => (long)Functions.Value.GetTensorOffset(_context, id);

    public string Key(long id) => Marshal.PtrToStringUTF8(Functions.Value.GetKey(_context, id))!;

    public void Dispose()
    {
        if (_context == 0) return;
        Functions.Value.Free(_context);
        _context = 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams
    {
        public byte NoAlloc;
        public nint Context;
    }

    private sealed class Api
    {
        public required delegate* unmanaged<nint, InitParams, nint> InitFromFile;
        public required delegate* unmanaged<nint, void> Free;
        public required delegate* unmanaged<nint, uint> GetVersion;
        public required delegate* unmanaged<nint, nuint> GetAlignment;
        public required delegate* unmanaged<nint, nuint> GetDataOffset;
        public required delegate* unmanaged<nint, long> GetKeyValueCount;
        public required delegate* unmanaged<nint, long, nint> GetKey;
        public required delegate* unmanaged<nint, long> GetTensorCount;
        public required delegate* unmanaged<nint, long, nint> GetTensorName;
        public required delegate* unmanaged<nint, long, nuint> GetTensorOffset;
    }

    private static Api Load()
    {
        string name = OperatingSystem.IsWindows() ? "ggml-base.dll" : OperatingSystem.IsMacOS() ? "libggml-base.dylib" : "libggml-base.so";
        string runtimes = Path.Combine(AppContext.BaseDirectory, "runtimes");
        string? file = Directory.Exists(runtimes)
            ? Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories)
                .OrderBy(f => f.Contains($"{Path.DirectorySeparatorChar}noavx{Path.DirectorySeparatorChar}") ? 0 : 1).FirstOrDefault()
            : null;
        if (file is null) throw new FileNotFoundException($"{name} (from LLamaSharp.Backend.Cpu) was not found under {runtimes}");
        nint library = NativeLibrary.Load(file);
        nint Export(string symbol) => NativeLibrary.GetExport(library, symbol);
        return new Api
        {
            InitFromFile = (delegate* unmanaged<nint, InitParams, nint>)Export("gguf_init_from_file"),
            Free = (delegate* unmanaged<nint, void>)Export("gguf_free"),
            GetVersion = (delegate* unmanaged<nint, uint>)Export("gguf_get_version"),
            GetAlignment = (delegate* unmanaged<nint, nuint>)Export("gguf_get_alignment"),
            GetDataOffset = (delegate* unmanaged<nint, nuint>)Export("gguf_get_data_offset"),
            GetKeyValueCount = (delegate* unmanaged<nint, long>)Export("gguf_get_n_kv"),
            GetKey = (delegate* unmanaged<nint, long, nint>)Export("gguf_get_key"),
            GetTensorCount = (delegate* unmanaged<nint, long>)Export("gguf_get_n_tensors"),
            GetTensorName = (delegate* unmanaged<nint, long, nint>)Export("gguf_get_tensor_name"),
            GetTensorOffset = (delegate* unmanaged<nint, long, nuint>)Export("gguf_get_tensor_offset"),
        };
    }
}
