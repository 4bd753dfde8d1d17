using System;
using System.Collections.Generic;
using System.Linq;
using Attention.Benchmarks.Probes;
using Attention.Benchmarks.Reporting;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace Attention.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project benchmarks -- [--quick] [--probes] [BenchmarkDotNet args]</c>.
/// <list type="bullet">
/// <item><c>--probes</c>: only measure and print the FMA peak and stream bandwidth.</item>
/// <item><c>--quick</c>: the README subset (shapes marked Quick) with a short job; runs everything when no
/// <c>--filter</c> is given.</item>
/// <item>anything else goes to BenchmarkSwitcher, e.g. <c>--filter *Decode*</c>, <c>--list flat</c>.</item>
/// </list>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var rest = new List<string>(args);
        bool probesOnly = rest.Remove("--probes");
        bool quick = rest.Remove("--quick");
        if (rest.Remove("--verify")) return Verify();

        bool listing = rest.Contains("--list") || rest.Contains("--help") || rest.Contains("-h");
        MachinePeaks? peaks = null;
        if (!listing)
        {
            Console.WriteLine("Measuring machine peaks...");
            peaks = MachinePeaks.Measure();
            Console.WriteLine(peaks.Describe());
        }
        if (probesOnly) return 0;

        if (quick && !rest.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f"))
            rest.AddRange(new[] { "--filter", "*" });

        var config = CreateConfig(peaks ?? new MachinePeaks(Environment.ProcessorCount, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN), quick);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config).ToList();
        if (peaks is not null) AttentionSummaryTable.Write(summaries, peaks);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// <c>--verify</c>: every implementation on a small shape of every configuration in the suite, against the
    /// reference path (what each benchmark's setup also does before timing). Prints one line per check.
    /// </summary>
    public static int Verify()
    {
        int passed = 0, failed = 0;
        var smallShapes = new System.Collections.Generic.HashSet<AttentionShape>();
        foreach (var shape in Implementations.AllShapes()) smallShapes.Add(shape.Small());
        foreach (var shape in smallShapes)
        {
            foreach (var (method, create) in Implementations.All())
            {
                if (Applicability.Unsupported(method, shape) is string reason) continue;
                var sw = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    Verification.CheckSmall(shape, create);
                    passed++;
                    Console.WriteLine($"ok    {method,-18} {shape} ({sw.ElapsedMilliseconds} ms)");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"FAIL  {method,-18} {shape}: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// One job for everything: full runs take 3 warmup and 10 measured iterations per case; --quick takes 1 and 4
    /// with a shorter target iteration time. Both launch one process per case. Cases a peer cannot compute are
    /// filtered out (see <see cref="Applicability"/>).
    /// </summary>
    public static IConfig CreateConfig(MachinePeaks peaks, bool quick)
    {
        var job = quick
            ? Job.Default.WithId("Quick").WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(4)
                 .WithIterationTime(TimeInterval.FromMilliseconds(200))
            : Job.Default.WithId("Full").WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10);

        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
            .AddExporter(DefaultConfig.Instance.GetExporters().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddColumnProvider(DefaultColumnProviders.Descriptor, DefaultColumnProviders.Job, DefaultColumnProviders.Params,
                               DefaultColumnProviders.Metrics)
            .AddColumn(StatisticColumn.Mean, StatisticColumn.StdDev, StatisticColumn.Median, BaselineRatioColumn.RatioMean)
            .AddColumn(
                new ThroughputColumn(ThroughputKind.Gflops, peaks), new ThroughputColumn(ThroughputKind.PeakPercent, peaks),
                new ThroughputColumn(ThroughputKind.GigabytesPerSecond, peaks), new ThroughputColumn(ThroughputKind.StreamPercent, peaks))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddFilter(new SimpleFilter(Applicability.IsApplicable))
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
        if (quick) config = config.AddFilter(new SimpleFilter(bc => Applicability.ShapeOf(bc)?.Quick != false));
        return config;
    }
}
