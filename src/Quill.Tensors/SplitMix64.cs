// splitmix64 (Vigna), the small seeded generator whose sequence we own: file writers and generator seeding; not for cryptography.
namespace Quill.Tensors;

/// <summary>
/// splitmix64: one 64-bit state advanced by a fixed odd constant and mixed. Written out rather than using
/// <see cref="Random"/>, whose algorithm .NET does not promise to keep, so one seed gives the same numbers on every runtime.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>One step: advances <paramref name="state"/> and returns a well-mixed value (the published sequence).</summary>
    public static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Next(ref _state);

    /// <summary>A uniform double in [0, 1): the top 53 bits of <see cref="NextUInt64"/> scaled by 2⁻⁵³.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
