using System;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text;

namespace Attention.Benchmarks.Probes;

/// <summary>The machine's compute and bandwidth ceilings, measured once per run in the host process
/// (so turbo and the current load are what the benchmarks see too).</summary>
public sealed record MachinePeaks(
    int Cores, double Fma512OneCore, double Fma512AllCores, double Fma256OneCore, double Fma256AllCores,
    double Fma128OneCore, double Fma128AllCores, double StreamOneCore, double StreamAllCores)
{
    /// <summary>
    /// The all-core multiply-add peak at the widest accelerated vector width: the denominator of "% peak". It is the higher
    /// of the all-core measurement and cores x the one-thread measurement: on a quiet machine the two agree (the
    /// development machine reads 510 and 2 x 257), and when something else holds a core the one-thread figure is
    /// the one that still tells what the hardware can do.
    /// </summary>
    public double ComputePeak =>
        !double.IsNaN(Fma512AllCores) ? Math.Max(Fma512AllCores, Cores * Fma512OneCore)
        : !double.IsNaN(Fma256AllCores) ? Math.Max(Fma256AllCores, Cores * Fma256OneCore)
        : Math.Max(Fma128AllCores, Cores * Fma128OneCore);

    public static MachinePeaks Measure()
    {
        int cores = Environment.ProcessorCount;
        return new MachinePeaks(
            cores,
            FmaPeakProbe.Measure(512, 1), FmaPeakProbe.Measure(512, cores),
            FmaPeakProbe.Measure(256, 1), FmaPeakProbe.Measure(256, cores),
            FmaPeakProbe.Measure(128, 1), FmaPeakProbe.Measure(128, cores),
            StreamBandwidthProbe.Measure(1), AllCoreStream(cores));
    }

    /// <summary>All-core stream bandwidth, best of up to three tries a moment apart: one busy moment on a shared
    /// machine (another process holding a core) halves it on 2 cores.</summary>
    private static double AllCoreStream(int cores)
    {
        double best = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            best = Math.Max(best, StreamBandwidthProbe.Measure(cores));
            if (cores == 1) break;
            System.Threading.Thread.Sleep(100);
        }
        return best;
    }

    /// <summary>The higher of two measurements of each figure (e.g. before and after the benchmarks): the machine
    /// is shared, and a peak is what it can do at best.</summary>
    public MachinePeaks Max(MachinePeaks other) => new(
        Cores, Math.Max(Fma512OneCore, other.Fma512OneCore), Math.Max(Fma512AllCores, other.Fma512AllCores),
        Math.Max(Fma256OneCore, other.Fma256OneCore), Math.Max(Fma256AllCores, other.Fma256AllCores),
        Math.Max(Fma128OneCore, other.Fma128OneCore), Math.Max(Fma128AllCores, other.Fma128AllCores),
        Math.Max(StreamOneCore, other.StreamOneCore), Math.Max(StreamAllCores, other.StreamAllCores));

    public string Describe()
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(string.Create(c, $"Machine peaks (measured in-process, {Cores} cores; Vector512 accelerated: {Vector512.IsHardwareAccelerated}):"));
        sb.AppendLine(string.Create(c, $"  fp32 FMA Vector512: {Fma512OneCore,7:F1} GFLOP/s 1 thread, {Fma512AllCores,7:F1} GFLOP/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  fp32 FMA Vector256: {Fma256OneCore,7:F1} GFLOP/s 1 thread, {Fma256AllCores,7:F1} GFLOP/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  fp32 mul-add V128: {Fma128OneCore,7:F1} GFLOP/s 1 thread, {Fma128AllCores,7:F1} GFLOP/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  stream read:        {StreamOneCore,7:F1} GB/s 1 thread,     {StreamAllCores,7:F1} GB/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  % peak uses {ComputePeak:F1} GFLOP/s; % stream uses {StreamAllCores:F1} GB/s"));
        return sb.ToString();
    }
}
