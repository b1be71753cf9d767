// The per-thread, 64-byte-aligned scratch the pair tiles prepare their four weight rows into; one buffer per thread for all of them.
namespace Quill.Tensors.Quantization;

/// <summary>
/// A pinned buffer per thread, grown on demand and never shrunk, that a pair tile fills with its row group at the start of
/// a call and reads until the call returns. The tiles of different formats share it: a thread runs one tile call at a time.
/// </summary>
internal static unsafe class RowGroupScratch
{
    [ThreadStatic]
    private static byte[]? t_bytes;

    /// <summary>At least <paramref name="bytes"/> bytes starting on a 64-byte line, valid on this thread until the next call.</summary>
    public static byte* Aligned(int bytes)
    {
        int need = bytes + 64;
        byte[] buffer = t_bytes is { Length: var length } held && length >= need ? held : t_bytes = GC.AllocateUninitializedArray<byte>(need, pinned: true);
        // A pinned array lives on the pinned object heap and never moves; the thread-static keeps it alive.
        fixed (byte* start = buffer)
            return (byte*)(((nint)start + 63) & ~(nint)63);
    }
}
