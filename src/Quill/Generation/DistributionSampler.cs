// The random terminal stage: softmax the candidates and draw one with a seeded generator; no filtering.
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace Quill.Generation;

/// <summary>
/// Turns the candidate logits into probabilities (softmax) and draws one candidate: a uniform u in [0, 1) is
/// compared with the running sum of the unnormalised probabilities in candidate order (llama.cpp's dist sampler,
/// with our own <see cref="Xoshiro256StarStar"/> in place of mt19937). The softmax is vectorized (TensorPrimitives):
/// with a whole vocabulary per sequence it was the serial part of a batched decode step (16 streams of a 110M model
/// decoded about 30% faster without the scalar loop); a seeded draw is reproducible on one machine and .NET version.
/// </summary>
public sealed class DistributionSampler : ITokenSampler
{
    private readonly Xoshiro256StarStar _random;

    /// <summary>Draws with <paramref name="seed"/>; null picks a random seed (see <see cref="Seed"/>).</summary>
    public DistributionSampler(ulong? seed)
    {
        Seed = seed ?? RandomSeed();
        _random = new Xoshiro256StarStar(Seed);
    }

    /// <summary>The seed in use; pass it back to reproduce a run that was started without one.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        int count = candidates.Count;
        if (count == 0)
        {
            candidates.Selected = -1;
            return;
        }
        Span<float> logits = candidates.Logits;
        Span<float> probs = candidates.Probs;
        float max = candidates.MaxLogit();
        if (float.IsNegativeInfinity(max)) max = 0; // all impossible: exp(-inf) = 0 below, caught by the fallback

        // exp(l − max) vectorized (a full vocabulary per sequence per step: the serial part of a batched decode step)
        TensorPrimitives.Subtract(logits, max, probs);
        TensorPrimitives.Exp(probs, probs);
        double sum = TensorPrimitives.Sum(probs);

        double target = sum * _random.NextDouble();
        double running = 0;
        int selected = -1;
        for (int i = 0; i < count && selected < 0; i++)
        {
            running += probs[i];
            if (running > target) selected = i;
        }
        if (selected < 0) selected = LastLikely(probs); // rounding left the target past the end

        if (sum > 0) TensorPrimitives.Multiply(probs, (float)(1 / sum), probs);
        candidates.Selected = selected;
    }

    private static int LastLikely(ReadOnlySpan<float> probs)
    {
        for (int i = probs.Length - 1; i > 0; i--) if (probs[i] > 0) return i;
        return 0;
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
