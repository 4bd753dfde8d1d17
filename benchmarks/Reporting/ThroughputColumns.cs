using System.Globalization;
using System.Linq;
using Attention.Benchmarks.Probes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Attention.Benchmarks.Reporting;

/// <summary>What a throughput column shows, computed from the case's median time and its shape.</summary>
public enum ThroughputKind
{
    /// <summary>Useful GFLOP/s: 4 * HeadDim per unmasked query-key pair per head, over the median time.</summary>
    Gflops,
    /// <summary>Useful GFLOP/s as a percentage of the all-core FMA peak measured in this run.</summary>
    PeakPercent,
    /// <summary>K + V bytes per call over the median time (decode: the cache a step must read).</summary>
    GigabytesPerSecond,
    /// <summary>GB/s as a percentage of the all-core stream read bandwidth measured in this run.</summary>
    StreamPercent,
}

/// <summary>BenchmarkDotNet column for GFLOP/s, % peak, GB/s and % stream. FLOP columns appear for classes with
/// prefill shapes, byte columns for classes with decode shapes.</summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly ThroughputKind _kind;
    private readonly PeakTracker _tracker;

    public ThroughputColumn(ThroughputKind kind, PeakTracker tracker)
    {
        _kind = kind;
        _tracker = tracker;
    }

    private MachinePeaks _peaks => _tracker.Peaks;

    public string Id => "Attention." + _kind;

    public string ColumnName => _kind switch
    {
        ThroughputKind.Gflops => "GFLOP/s",
        ThroughputKind.PeakPercent => "% peak",
        ThroughputKind.GigabytesPerSecond => "GB/s",
        _ => "% stream",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)_kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _kind switch
    {
        ThroughputKind.Gflops => "Useful GFLOP/s: 4*HeadDim per unmasked query-key pair per head, over the median (a [DenseKernel] method counts the dense kernel's pairs)",
        ThroughputKind.PeakPercent => string.Create(CultureInfo.InvariantCulture, $"GFLOP/s as % of the all-core fp32 FMA peak measured in this run ({_peaks.ComputePeak:F0} GFLOP/s)"),
        ThroughputKind.GigabytesPerSecond => "K+V bytes per call over the median (what a decode step must read)",
        _ => string.Create(CultureInfo.InvariantCulture, $"GB/s as % of the all-core stream read bandwidth measured in this run ({_peaks.StreamAllCores:F1} GB/s)"),
    };

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary)
    {
        bool decode = summary.BenchmarksCases.Any(c => Applicability.CaseOf(c)?.IsDecode == true);
        bool prefill = summary.BenchmarksCases.Any(c => Applicability.CaseOf(c)?.IsDecode == false);
        return _kind is ThroughputKind.Gflops or ThroughputKind.PeakPercent ? prefill : decode;
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var value = Compute(summary, benchmarkCase, _kind, _peaks);
        return value is double v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";
    }

    public static double? MedianSeconds(Summary summary, BenchmarkCase benchmarkCase)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        return stats is null ? null : stats.Median / 1e9;
    }

    public static double? Compute(Summary summary, BenchmarkCase benchmarkCase, ThroughputKind kind, MachinePeaks peaks)
    {
        var attentionCase = Applicability.CaseOf(benchmarkCase);
        var seconds = MedianSeconds(summary, benchmarkCase);
        if (attentionCase is null || seconds is not double s || s <= 0) return null;
        // Bytes only mean something where the cache read is the bound: decode rows.
        if (kind is ThroughputKind.GigabytesPerSecond or ThroughputKind.StreamPercent && !attentionCase.IsDecode) return null;
        double gflops = Applicability.UsefulFlops(benchmarkCase)!.Value / s / 1e9;
        double gbs = attentionCase.KvBytes / s / 1e9;
        return kind switch
        {
            ThroughputKind.Gflops => gflops,
            ThroughputKind.PeakPercent => 100.0 * gflops / peaks.ComputePeak,
            ThroughputKind.GigabytesPerSecond => gbs,
            _ => 100.0 * gbs / peaks.StreamAllCores,
        };
    }

    public override string ToString() => ColumnName;
}
