// The element type of a decoder's KV cache: F16 (llama.cpp's default, half the memory) or F32.
namespace Quill.Models;

/// <summary>How keys and values are stored in the KV cache (llama.cpp's --cache-type-k / --cache-type-v).</summary>
public enum KvCacheType
{
    /// <summary>
    /// IEEE half: each key and value rounded to the nearest F16 when stored, widened when read. Half the memory and half
    /// the bytes read per decoded token; attention computes as llama.cpp's does over its default F16 cache.
    /// </summary>
    F16,

    /// <summary>Single precision: keys and values exactly as computed, twice the memory of F16.</summary>
    F32,
}

/// <summary>Names and sizes of <see cref="KvCacheType"/> values.</summary>
public static class KvCacheTypes
{
    /// <summary>The lower-case names the CLI and the server take: f16, f32.</summary>
    public static IReadOnlyList<string> Names { get; } = ["f16", "f32"];

    /// <summary>Bytes per stored element: 2 for F16, 4 for F32.</summary>
    public static int ElementBytes(this KvCacheType type) => type switch
    {
        KvCacheType.F16 => 2,
        KvCacheType.F32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "expected KvCacheType.F16 or KvCacheType.F32"),
    };

    /// <summary>The lower-case name (f16, f32).</summary>
    public static string Name(this KvCacheType type) => type switch
    {
        KvCacheType.F16 => "f16",
        KvCacheType.F32 => "f32",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "expected KvCacheType.F16 or KvCacheType.F32"),
    };

    /// <summary>Parses f16 or f32 (any case); anything else throws an ArgumentException naming what is accepted.</summary>
    public static KvCacheType Parse(string text, string what = "KV cache type") => text.Trim().ToLowerInvariant() switch
    {
        "f16" => KvCacheType.F16,
        "f32" => KvCacheType.F32,
        _ => throw new ArgumentException($"{what}: expected f16 or f32, found '{text}'"),
    };
}
