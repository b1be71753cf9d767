// A random BERT checkpoint of any shape, no vocabulary, for the encoder training tests.
using Quill.Models.Bert;

namespace Quill.Training.Tests.Model;

internal static class RandomBertCheckpoint
{
    /// <summary>
    /// Weights uniform in ±<paramref name="scale"/>; norm scales 1 ± <paramref name="normSpread"/>/2.
    /// </summary>
    public static BertCheckpoint Create(BertConfig config, int seed, float scale, float normSpread)
    {
        var rng = new Random(seed);
        var tensors = new Dictionary<string, BertTensor>(StringComparer.Ordinal);
        foreach (var (name, rows, columns) in BertCheckpoint.Layout(config))
        {
            var t = BertTensor.Allocate(rows, columns);
            bool norm = name.Contains("norm.weight", StringComparison.Ordinal);
            for (int i = 0; i < t.Data.Length; i++)
                t.Data[i] = norm ? 1 + (float)(rng.NextDouble() - 0.5) * normSpread : (float)(rng.NextDouble() * 2 - 1) * scale;
            tensors[name] = t;
        }
        return new BertCheckpoint("tiny-bert", config, tensors, null);
    }
}
