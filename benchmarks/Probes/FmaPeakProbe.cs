using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace Attention.Benchmarks.Probes;

/// <summary>
/// Measures the machine's fp32 fused-multiply-add peak in this process: 12 independent FMA chains (enough to cover
/// FMA latency x throughput on current x64 cores: Zen 5 needs 2 x 4 = 8, Golden Cove 2 x 4 = 8) on Vector512 and
/// on Vector256 (and a multiply-add on Vector128), on one thread and on every core at once. Twelve chains plus the two operands fit the 16 ymm
/// registers that remain when AVX-512 is disabled (DOTNET_EnableAVX512=0); sixteen chains spilled there and
/// measured a third less than the hardware's AVX2 peak. A kernel's
/// "fraction of peak" is its useful GFLOP/s over the all-core Vector512 figure (Vector256 where 512-bit is not
/// accelerated).
/// </summary>
public static class FmaPeakProbe
{
    public const int Chains = 12;

    /// <summary>GFLOP/s (2 flops per lane per FMA). Runs <paramref name="threads"/> threads simultaneously for
    /// about <paramref name="seconds"/>; best of three rounds.</summary>
    public static double Measure(int vectorBits, int threads, double seconds = 0.25)
    {
        if (vectorBits == 512 && !Vector512.IsHardwareAccelerated) return double.NaN;
        if (vectorBits == 256 && !Vector256.IsHardwareAccelerated) return double.NaN;
        if (vectorBits == 128 && !Vector128.IsHardwareAccelerated) return double.NaN;
        int lanes = vectorBits / 32;

        // Calibrate the iteration count on one thread so a round lasts about `seconds`.
        long iterations = 1 << 16;
        while (true)
        {
            var sw = Stopwatch.StartNew();
            Run(vectorBits, iterations);
            if (sw.Elapsed.TotalSeconds > seconds / 4) { iterations = (long)(iterations * seconds / sw.Elapsed.TotalSeconds); break; }
            iterations *= 4;
        }

        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            double elapsed = ParallelRun.Time(threads, _ => Run(vectorBits, iterations));
            double flops = 2.0 * lanes * Chains * (double)iterations * threads;
            best = Math.Max(best, flops / elapsed / 1e9);
        }
        return best;
    }

    private static float Run(int vectorBits, long iterations) => vectorBits switch
    {
        512 => Run512(iterations),
        256 => Run256(iterations),
        _ => Run128(iterations),
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run512(long iterations)
    {
        var a = Vector512.Create(0.999999f);
        var b = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = Vector512.Create(0.2f), c2 = Vector512.Create(0.3f), c3 = Vector512.Create(0.4f);
        Vector512<float> c4 = Vector512.Create(0.5f), c5 = Vector512.Create(0.6f), c6 = Vector512.Create(0.7f), c7 = Vector512.Create(0.8f);
        Vector512<float> c8 = Vector512.Create(0.9f), c9 = Vector512.Create(1.0f), c10 = Vector512.Create(1.1f), c11 = Vector512.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run256(long iterations)
    {
        var a = Vector256.Create(0.999999f);
        var b = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = Vector256.Create(0.2f), c2 = Vector256.Create(0.3f), c3 = Vector256.Create(0.4f);
        Vector256<float> c4 = Vector256.Create(0.5f), c5 = Vector256.Create(0.6f), c6 = Vector256.Create(0.7f), c7 = Vector256.Create(0.8f);
        Vector256<float> c8 = Vector256.Create(0.9f), c9 = Vector256.Create(1.0f), c10 = Vector256.Create(1.1f), c11 = Vector256.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(sum);
    }

    /// <summary>
    /// The Vector128 tier's multiply-add peak. It uses MultiplyAddEstimate, as the generated Vector128 kernels do:
    /// one FMA where the hardware has it, a multiply and an add where it does not (DOTNET_EnableAVX2=0 also turns
    /// FMA off, and Vector128.FusedMultiplyAdd would then run in software). Still 2 flops per lane per step.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Run128(long iterations)
    {
        var a = Vector128.Create(0.999999f);
        var b = Vector128.Create(1e-7f);
        Vector128<float> c0 = Vector128.Create(0.1f), c1 = Vector128.Create(0.2f), c2 = Vector128.Create(0.3f), c3 = Vector128.Create(0.4f);
        Vector128<float> c4 = Vector128.Create(0.5f), c5 = Vector128.Create(0.6f), c6 = Vector128.Create(0.7f), c7 = Vector128.Create(0.8f);
        Vector128<float> c8 = Vector128.Create(0.9f), c9 = Vector128.Create(1.0f), c10 = Vector128.Create(1.1f), c11 = Vector128.Create(1.2f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.MultiplyAddEstimate(c0, a, b); c1 = Vector128.MultiplyAddEstimate(c1, a, b);
            c2 = Vector128.MultiplyAddEstimate(c2, a, b); c3 = Vector128.MultiplyAddEstimate(c3, a, b);
            c4 = Vector128.MultiplyAddEstimate(c4, a, b); c5 = Vector128.MultiplyAddEstimate(c5, a, b);
            c6 = Vector128.MultiplyAddEstimate(c6, a, b); c7 = Vector128.MultiplyAddEstimate(c7, a, b);
            c8 = Vector128.MultiplyAddEstimate(c8, a, b); c9 = Vector128.MultiplyAddEstimate(c9, a, b);
            c10 = Vector128.MultiplyAddEstimate(c10, a, b); c11 = Vector128.MultiplyAddEstimate(c11, a, b);
        }
        var sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector128.Sum(sum);
    }
}

/// <summary>Runs one body per thread, started together, and times the span from the first start to the last end
/// as the workers themselves record it (the coordinating thread may not get a core while they run).</summary>
internal static class ParallelRun
{
    public static double Time(int threads, Action<int> body)
    {
        var starts = new long[threads];
        var ends = new long[threads];
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                starts[index] = Stopwatch.GetTimestamp();
                body(index);
                ends[index] = Stopwatch.GetTimestamp();
            }) { IsBackground = true };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        long first = long.MaxValue, last = long.MinValue;
        for (int t = 0; t < threads; t++)
        {
            first = Math.Min(first, starts[t]);
            last = Math.Max(last, ends[t]);
        }
        return (double)(last - first) / Stopwatch.Frequency;
    }
}
