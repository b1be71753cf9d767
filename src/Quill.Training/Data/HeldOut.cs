// Splitting a list into training and held-out items.
namespace Quill.Training.Data;

internal static class HeldOut
{
    /// <summary>Items k−1, 2k−1, ... held out, the rest kept, both in order (validation spread over the data).</summary>
    public static (T[] Train, T[] Validation) EveryKth<T>(IReadOnlyList<T> items, int k)
    {
        var train = new List<T>();
        var validation = new List<T>();
        for (int i = 0; i < items.Count; i++) (i % k == k - 1 ? validation : train).Add(items[i]);
        return ([.. train], [.. validation]);
    }
}
