// Measures the machine's F32 FMA peak (independent Vector512/256 chains on every thread).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Training.Kernels;

/// <summary>
/// Each of <c>threads</c> threads runs 12 independent FMA chains (enough to cover FMA latency × ports on current
/// x64 cores) for about <c>seconds</c>; the sum of their FLOP/s is the practical F32 peak that MFU divides by.
/// </summary>
public static class FmaPeak
{
    private const int Chains = 12;
    private const int Iterations = 1 << 20;

    /// <summary>FLOP/s (an FMA counts 2) over every thread.</summary>
    public static double Measure(int threads, double seconds = 0.5)
    {
        threads = Math.Max(1, threads);
        var flops = new double[threads];
        var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            int index = i;
            workers[i] = new Thread(() =>
            {
                Chain(1024); // warm up the JIT
                start.SignalAndWait();
                long begin = Stopwatch.GetTimestamp();
                long done = 0;
                do { done += Chain(Iterations); } while (Stopwatch.GetElapsedTime(begin).TotalSeconds < seconds);
                flops[index] = done / Stopwatch.GetElapsedTime(begin).TotalSeconds;
            });
            workers[i].Start();
        }
        foreach (var w in workers) w.Join();
        return flops.Sum();
    }

    /// <summary>FLOPs done by <paramref name="iterations"/> rounds of every chain.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Chain(int iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            Sink = (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
            return (long)iterations * Chains * 16 * 2;
        }
        var n = Vector256.Create(0.999999f);
        var b = Vector256.Create(1e-7f);
        Vector256<float> d0 = n, d1 = n, d2 = n, d3 = n, d4 = n, d5 = n, d6 = n, d7 = n, d8 = n, d9 = n, d10 = n, d11 = n;
        for (int i = 0; i < iterations; i++)
        {
            d0 = Vector256.FusedMultiplyAdd(d0, n, b); d1 = Vector256.FusedMultiplyAdd(d1, n, b);
            d2 = Vector256.FusedMultiplyAdd(d2, n, b); d3 = Vector256.FusedMultiplyAdd(d3, n, b);
            d4 = Vector256.FusedMultiplyAdd(d4, n, b); d5 = Vector256.FusedMultiplyAdd(d5, n, b);
            d6 = Vector256.FusedMultiplyAdd(d6, n, b); d7 = Vector256.FusedMultiplyAdd(d7, n, b);
            d8 = Vector256.FusedMultiplyAdd(d8, n, b); d9 = Vector256.FusedMultiplyAdd(d9, n, b);
            d10 = Vector256.FusedMultiplyAdd(d10, n, b); d11 = Vector256.FusedMultiplyAdd(d11, n, b);
        }
        Sink = (d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11).GetElement(0);
        return (long)iterations * Chains * 8 * 2;
    }

    private static float Sink;
}
