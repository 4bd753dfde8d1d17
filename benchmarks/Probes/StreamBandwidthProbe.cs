using System;
using System.Runtime.Intrinsics;

namespace Attention.Benchmarks.Probes;

/// <summary>
/// Measures sustainable read bandwidth from memory in this process: each thread sums its own slice of a buffer far
/// larger than the last-level cache (512 MiB by default) with wide vector loads and 8 independent accumulators.
/// Decode (one query against a long cache) is bound by this number, so a decode kernel's "fraction of stream" is
/// the K+V bytes it must read per step over the time it took, divided by the all-core figure.
/// </summary>
public static unsafe class StreamBandwidthProbe
{
    /// <summary>GB/s (1e9 bytes per second), best of <paramref name="passes"/> passes.</summary>
    public static double Measure(int threads, long bytes = 512L << 20, int passes = 5)
    {
        long floats = bytes / sizeof(float);
        using var buffer = new NativeBuffer(floats);
        var span = buffer.Span;
        for (int i = 0; i < span.Length; i += 1024) span[i] = 1f; // touch every page
        float* data = (float*)buffer.Pointer;
        long perThread = floats / threads / 128 * 128;

        double best = 0;
        for (int pass = 0; pass < passes + 1; pass++)
        {
            double seconds = ParallelRun.Time(threads, t => Sum(data + t * perThread, perThread));
            if (pass == 0) continue; // first pass warms the threads and the TLB
            best = Math.Max(best, perThread * threads * (double)sizeof(float) / seconds / 1e9);
        }
        return best;
    }

    private static float Sum(float* p, long count)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (long i = 0; i < count; i += 128)
            {
                a0 += Vector512.Load(p + i); a1 += Vector512.Load(p + i + 16);
                a2 += Vector512.Load(p + i + 32); a3 += Vector512.Load(p + i + 48);
                a4 += Vector512.Load(p + i + 64); a5 += Vector512.Load(p + i + 80);
                a6 += Vector512.Load(p + i + 96); a7 += Vector512.Load(p + i + 112);
            }
            return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (long i = 0; i < count; i += 64)
        {
            b0 += Vector256.Load(p + i); b1 += Vector256.Load(p + i + 8);
            b2 += Vector256.Load(p + i + 16); b3 += Vector256.Load(p + i + 24);
            b4 += Vector256.Load(p + i + 32); b5 += Vector256.Load(p + i + 40);
            b6 += Vector256.Load(p + i + 48); b7 += Vector256.Load(p + i + 56);
        }
        return Vector256.Sum(((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)));
    }
}
