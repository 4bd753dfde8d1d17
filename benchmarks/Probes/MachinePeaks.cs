using System;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text;

namespace Attention.Benchmarks.Probes;

/// <summary>The machine's compute and bandwidth ceilings, measured once per run in the host process
/// (so turbo and the current load are what the benchmarks see too).</summary>
public sealed record MachinePeaks(
    int Cores, double Fma512OneCore, double Fma512AllCores, double Fma256OneCore, double Fma256AllCores,
    double StreamOneCore, double StreamAllCores)
{
    /// <summary>The all-core FMA peak at the widest accelerated vector width: the denominator of "% peak".</summary>
    public double ComputePeak => double.IsNaN(Fma512AllCores) ? Fma256AllCores : Fma512AllCores;

    public static MachinePeaks Measure()
    {
        int cores = Environment.ProcessorCount;
        return new MachinePeaks(
            cores,
            FmaPeakProbe.Measure(512, 1), FmaPeakProbe.Measure(512, cores),
            FmaPeakProbe.Measure(256, 1), FmaPeakProbe.Measure(256, cores),
            StreamBandwidthProbe.Measure(1), StreamBandwidthProbe.Measure(cores));
    }

    public string Describe()
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(string.Create(c, $"Machine peaks (measured in-process, {Cores} cores; Vector512 accelerated: {Vector512.IsHardwareAccelerated}):"));
        sb.AppendLine(string.Create(c, $"  fp32 FMA Vector512: {Fma512OneCore,7:F1} GFLOP/s 1 thread, {Fma512AllCores,7:F1} GFLOP/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  fp32 FMA Vector256: {Fma256OneCore,7:F1} GFLOP/s 1 thread, {Fma256AllCores,7:F1} GFLOP/s {Cores} threads"));
        sb.AppendLine(string.Create(c, $"  stream read:        {StreamOneCore,7:F1} GB/s 1 thread,     {StreamAllCores,7:F1} GB/s {Cores} threads"));
        return sb.ToString();
    }
}
