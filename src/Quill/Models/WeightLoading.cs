// How a model's weights reach memory: copied into aligned memory at load (the default, or on huge pages) or read from the mapped file.
namespace Quill.Models;

public enum WeightLoading
{
    /// <summary>Read every tensor into 64-byte aligned memory at load; decode was measured faster and steadier this way.</summary>
    Copy,

    /// <summary>Use the memory-mapped file's pages directly: instant load, pages fault in on first use.</summary>
    Map,

    /// <summary>
    /// As <see cref="Copy"/>, into 2 MiB pages where Linux grants them (<see cref="Tensors.AlignedMemory"/>): decode a few
    /// per cent faster, load slower on machines whose fresh memory is slow to first touch (measured up to 1.4 s per GB
    /// on a VM). For a long-lived server.
    /// </summary>
    CopyHugePages,
}
