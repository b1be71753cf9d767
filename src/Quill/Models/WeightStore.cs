// Owns the bytes of a model's tensors (an aligned copy, or the open mapped GGUF file) and hands out typed views.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Models;

/// <summary>
/// Resolves tensor names to memory. In <see cref="WeightLoading.Copy"/> mode every tensor is read with positional
/// file reads into one aligned block (on huge pages in <see cref="WeightLoading.CopyHugePages"/> mode), so the file's
/// pages are not also mapped into the process; in <see cref="WeightLoading.Map"/> mode views point into the GGUF map,
/// which stays open.
/// </summary>
public sealed unsafe class WeightStore : IDisposable
{
    private const int Alignment = 64;
    private readonly GgufFile _file;
    private readonly Dictionary<string, nint> _addresses = new(StringComparer.Ordinal);
    private readonly HashSet<string> _repacked = new(StringComparer.Ordinal);
    private byte* _block;

    private WeightStore(GgufFile file, WeightLoading loading)
    {
        _file = file;
        Loading = loading;
    }

    public WeightLoading Loading { get; }
    public long CopiedBytes { get; private set; }

    /// <summary>Whether the tensors were copied into this store's block (every mode but Map).</summary>
    private bool Copied => Loading != WeightLoading.Map;
    private string FileName => System.IO.Path.GetFileName(_file.Path);

    /// <summary>Makes every tensor of the file available, copying it first in Copy mode.</summary>
    public static WeightStore Load(GgufFile file, WeightLoading loading, IProgress<double>? progress = null)
    {
        var store = new WeightStore(file, loading);
        if (store.Copied) store.CopyAll(progress);
        return store;
    }

    private void CopyAll(IProgress<double>? progress)
    {
        long total = 0;
        foreach (var t in _file.Tensors) total += AlignUp(t.ByteLength);
        _block = (byte*)AlignedMemory.Allocate(total, hugePages: Loading == WeightLoading.CopyHugePages);
        AlignedMemory.Prefault(_block, total);
        CopiedBytes = total;
        using var handle = File.OpenHandle(_file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        byte* staging = (byte*)AlignedMemory.Allocate(StagingBytes);
        try
        {
            long offset = 0, done = 0;
            foreach (var t in _file.Tensors)
            {
                byte* destination = _block + offset;
                long fileOffset = _file.DataOffset + (long)t.Offset;
                long remaining = t.ByteLength;
                while (remaining > 0)
                {
                    int chunk = (int)Math.Min(remaining, StagingBytes);
                    int read = RandomAccess.Read(handle, new Span<byte>(staging, chunk), fileOffset);
                    if (read <= 0) throw new ModelFormatException($"{FileName}: tensor '{t.Name}' could not be read: the file ended early");
                    Buffer.MemoryCopy(staging, destination, read, read);
                    destination += read;
                    fileOffset += read;
                    remaining -= read;
                }
                _addresses[t.Name] = (nint)(_block + offset);
                offset += AlignUp(t.ByteLength);
                done += t.ByteLength;
                progress?.Report((double)done / Math.Max(1, total));
            }
        }
        finally
        {
            AlignedMemory.Free(staging);
        }
    }

    /// <summary>
    /// The file is read a piece at a time into a small buffer and copied from there, so the block's pages are first touched
    /// by this process's own stores rather than by the kernel's. On a 2-core Zen 5 guest, reading TinyLlama Q4_0 straight
    /// into the populated block left every page slow to its first user access: the row-group interleave after it ran at
    /// 0.7 GB/s (1.2 s) instead of 10 GB/s. Through the buffer, TinyLlama Q4_0 loaded in 1.3-1.7 s against 2.1-2.7 s, F16 in
    /// 3.6-7.4 s against 8.6-12.7 s, Mistral-7B-shape Q5_K_M in 8.7-15.1 s against 28.4 s, peak memory unchanged. Reading on
    /// both cores (a buffer each) was no surer a gain on that host and peaked 63 MB higher at 7B.
    /// </summary>
    private const int StagingBytes = 4 << 20;

    private static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;

    public GgufTensorInfo Info(string name) => _file.GetTensor(name);

    public bool Contains(string name) => _file.FindTensor(name) is not null;

    private byte* Address(GgufTensorInfo info) =>
        Copied ? (byte*)_addresses[info.Name] : _file.GetTensorPointer(info);

    /// <summary>
    /// A linear layer's weight for the matmul kernels: in Copy mode, where the type has four-row kernels, its rows
    /// are repacked once into block-interleaved groups of four (one sequential stream per group, measured about twice
    /// as fast to decode from as four row streams). Call once per tensor; never for a tensor also read by row.
    /// </summary>
    public WeightMatrix LinearWeight(string name, int columns, int rows)
    {
        var matrix = Matrix(name, columns, rows);
        return Copied && matrix.CanInterleave && _repacked.Add(name) ? matrix.InterleaveRowGroups() : matrix;
    }

    /// <summary>A 2-D weight [K, N] (ne0 = K) as N rows of K, checked against the expected shape.</summary>
    public WeightMatrix Matrix(string name, int columns, int rows)
    {
        var info = Info(name);
        if (info.Shape.Length != 2 || info.Shape[0] != columns || info.Shape[1] != rows)
            ThrowShape(name, info.Shape, $"[{columns}, {rows}]");
        if (!GgmlTypeInfo.IsSupported(info.Type))
            throw new ModelFormatException($"{FileName}: tensor '{name}' has type {info.Type}, which Quill cannot compute with");
        return new WeightMatrix(name, info.Type, rows, columns, Address(info));
    }

    /// <summary>A 1-D tensor (a norm scale or a bias) of <paramref name="length"/>, converted to float.</summary>
    public float[] Vector(string name, int length)
    {
        var info = Info(name);
        if (info.Shape.Length != 1 || info.Shape[0] != length)
            ThrowShape(name, info.Shape, $"[{length}]");
        var matrix = new WeightMatrix(name, info.Type, 1, length, Address(info));
        var result = new float[length];
        Tensors.Quantization.QuantFormats.Get(info.Type).Dequantize(matrix.Row(0), result);
        return result;
    }

    private void ThrowShape(string name, long[] shape, string expected) =>
        throw new ModelFormatException($"{FileName}: tensor '{name}' has shape [{string.Join(", ", shape)}], expected {expected}");

    public void Dispose()
    {
        AlignedMemory.Free(_block);
        _block = null;
    }
}
