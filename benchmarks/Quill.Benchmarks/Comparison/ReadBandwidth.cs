// The machine's streaming read bandwidth, measured in C# over a buffer far larger than the caches: the bound on decode speed.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Quill.Benchmarks.Comparison;

/// <summary>
/// Sums every 64-bit word of a 1 GiB buffer (written first, so every page is resident) with the widest vectors and four
/// independent accumulators, split into equal contiguous slices over the threads; the best of several passes in GB/s (10^9
/// bytes per second). A decode step that reads W weight bytes cannot run faster than bandwidth / W tokens per second.
/// </summary>
public static unsafe class ReadBandwidth
{
    public const long DefaultBytes = 1L << 30;

    private static ulong s_sink;

    /// <summary>GB/s read by <paramref name="threads"/> threads at once, best of <paramref name="passes"/>.</summary>
    public static double Measure(int threads, long bytes = DefaultBytes, int passes = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        long slice = bytes / threads / 256 * 256;
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)(slice * threads), 64);
        try
        {
            long total = slice * threads;
            for (long done = 0; done < total; done += int.MaxValue)
            {
                new Span<byte>(buffer + done, (int)Math.Min(int.MaxValue, total - done)).Fill(1);
            }
            double best = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                double seconds = Pass(buffer, slice, threads);
                best = Math.Max(best, slice * threads / seconds / 1e9);
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static double Pass(byte* buffer, long slice, int threads)
    {
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            byte* start = buffer + t * slice;
            workers[t] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                Interlocked.Add(ref s_sink, Sum(start, slice));
            });
            workers[t].Start();
        }
        ready.Wait();
        long begin = Stopwatch.GetTimestamp();
        go.Set();
        foreach (Thread worker in workers) worker.Join();
        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }

    // Length is a multiple of 256 bytes: four 64-byte vectors per step.
    private static ulong Sum(byte* p, long length)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<ulong> a = default, b = default, c = default, d = default;
            for (long i = 0; i < length; i += 256)
            {
                a += Vector512.Load((ulong*)(p + i));
                b += Vector512.Load((ulong*)(p + i + 64));
                c += Vector512.Load((ulong*)(p + i + 128));
                d += Vector512.Load((ulong*)(p + i + 192));
            }
            return Vector512.Sum(a + b + c + d);
        }
        Vector256<ulong> e = default, f = default, g = default, h = default;
        for (long i = 0; i < length; i += 128)
        {
            e += Vector256.Load((ulong*)(p + i));
            f += Vector256.Load((ulong*)(p + i + 32));
            g += Vector256.Load((ulong*)(p + i + 64));
            h += Vector256.Load((ulong*)(p + i + 96));
        }
        return Vector256.Sum(e + f + g + h);
    }
}
