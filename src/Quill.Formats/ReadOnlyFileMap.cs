// A read-only memory map of a whole file with its base pointer acquired once; knows nothing of any file format.
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Quill.Formats;

/// <summary>
/// Maps a file read-only and keeps one pointer to its first byte until disposed. An empty file maps to a null
/// pointer with length 0 (the OS cannot map zero bytes), so parsers report it through their ordinary bounds checks.
/// </summary>
internal sealed unsafe class ReadOnlyFileMap : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private bool _disposed;

    private ReadOnlyFileMap(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* start)
    {
        Path = path;
        Length = length;
        _map = map;
        _view = view;
        _base = start;
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>The first byte of the file; null for an empty file.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _base;
        }
    }

    /// <summary>
    /// Tells the OS the bytes [offset, offset + length) will not be read again soon: on Linux the whole pages inside the
    /// range leave this process's memory (madvise MADV_DONTNEED; the file is unchanged and a later read maps them back
    /// in from it); elsewhere nothing happens. A pass over a large file so holds only what it is working on.
    /// </summary>
    public void Release(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux() || _base == null || length <= 0 || offset < 0 || offset + length > Length) return;
        long page = Environment.SystemPageSize;
        long start = ((long)_base + offset + page - 1) / page * page, end = ((long)_base + offset + length) / page * page;
        if (end > start) _ = Madvise((nint)start, (nuint)(end - start), DontNeed);
    }

    private const int DontNeed = 4; // MADV_DONTNEED

    [DllImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static extern int Madvise(nint address, nuint length, int advice);

    public static ReadOnlyFileMap Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long length = stream.Length;
            if (length == 0)
            {
                stream.Dispose();
                return new ReadOnlyFileMap(path, 0, null, null, null);
            }
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            return new ReadOnlyFileMap(path, length, map, view, start + view.PointerOffset);
        }
        catch
        {
            view?.Dispose();
            if (map is not null) map.Dispose(); else stream.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null && _base != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _base = null;
        _view?.Dispose();
        _map?.Dispose();
    }
}
