// Multi-sequence causal attention (F32 and F16 caches): each sequence over its own cache region, bit for bit what it gives alone;
// not the float meaning (KernelTests compares one sequence against CausalAttention.Reference).
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class CausalAttentionSequencesTests
{
    private const int Heads = 4, KvHeads = 2, HeadSize = 16, Context = 40, KvDim = KvHeads * HeadSize;

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 2 - 1);
        return v;
    }

    // (cache slot, start position, query rows): a prompt chunk beside single decode tokens, in any slot order.
    public static TheoryData<int[][], int> Steps() => new()
    {
        { [[0, 5, 1]], 0 },
        { [[2, 0, 7], [0, 9, 1], [1, 30, 1]], 0 },
        { [[1, 3, 1], [3, 12, 1], [0, 0, 1], [2, 20, 1]], 0 },
        { [[3, 10, 5], [0, 17, 1]], 6 },
    };

    [Theory, MemberData(nameof(Steps))]
    public unsafe void EachSequenceEqualsItselfAlone(int[][] step, int window)
    {
        const int slots = 4;
        long slotFloats = (long)Context * KvDim;
        var keys = Random((int)(slots * slotFloats), 1);
        var values = Random((int)(slots * slotFloats), 2);
        var halfKeys = Array.ConvertAll(keys, x => (Half)x);
        var halfValues = Array.ConvertAll(values, x => (Half)x);
        int rows = step.Sum(s => s[2]);
        var q = Random(rows * Heads * HeadSize, 3);
        var sequences = new AttentionSequence[step.Length];
        for (int i = 0, row = 0; i < step.Length; row += step[i][2], i++)
            sequences[i] = new AttentionSequence(row, step[i][2], step[i][1], step[i][0] * slotFloats);

        using var pool = new ComputePool(3);
        var attention = new CausalAttention(pool, Heads, KvHeads, HeadSize);
        foreach (bool half in new[] { false, true })
        {
            // every call over the F32 cache or the F16 one; offsets count elements either way
            void Forward(float* pq, long offset, float* po, ReadOnlySpan<AttentionSequence> layout)
            {
                fixed (float* pk = keys, pv = values)
                fixed (Half* hk = halfKeys, hv = halfValues)
                {
                    if (half) attention.Forward(pq, hk + offset, hv + offset, po, layout, window);
                    else attention.Forward(pq, pk + offset, pv + offset, po, layout, window);
                }
            }

            var together = new float[q.Length];
            fixed (float* pq = q, po = together) Forward(pq, 0, po, sequences);

            int width = Heads * HeadSize;
            foreach (var s in sequences)
            {
                var alone = new float[s.Count * width];
                var sequence = new AttentionSequence(0, s.Count, s.Start, 0);
                fixed (float* pq = q, po = alone) Forward(pq + (long)s.Row * width, s.CacheOffset, po, [sequence]);
                Assert.Equal(alone, together.AsSpan(s.Row * width, s.Count * width).ToArray());
                // and one query row at a time, as decoding would pass it
                for (int t = 0; t < s.Count; t++)
                {
                    var single = new float[width];
                    var row = new AttentionSequence(0, 1, s.Start + t, 0);
                    fixed (float* pq = q, po = single) Forward(pq + (long)(s.Row + t) * width, s.CacheOffset, po, [row]);
                    Assert.Equal(single, alone.AsSpan(t * width, width).ToArray());
                }
            }
        }
    }
}
