// How a model's weights reach memory: copied into aligned memory at load (the default) or read from the mapped file.
namespace Quill.Models;

public enum WeightLoading
{
    /// <summary>Read every tensor into 64-byte aligned memory at load; decode was measured faster and steadier this way.</summary>
    Copy,

    /// <summary>Use the memory-mapped file's pages directly: instant load, pages fault in on first use.</summary>
    Map,
}
