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
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Attention.Benchmarks;

/// <summary>
/// Entry point. <c>dotnet run -c Release --project benchmarks -- [filter globs] [--quick] [--in-process] [--probes] [--verify] [BenchmarkDotNet args]</c>.
/// <list type="bullet">
/// <item><c>--probes</c>: only measure and print the FMA peak and stream bandwidth.</item>
/// <item><c>--in-process</c>: run the cases in this process (no generated child project).</item>
/// <item><c>--verify</c>: check every implementation against the reference path on small shapes, then exit.</item>
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
        bool inProcess = rest.Remove("--in-process");
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

        // `-- *Decode*` works like `-- --filter *Decode*`: leading bare words are filters.
        bool hasFilter = rest.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a == "-f");
        if (!hasFilter && rest.Count > 0 && !rest[0].StartsWith('-'))
        {
            rest.Insert(0, "--filter");
            hasFilter = true;
        }
        if (quick && !hasFilter)
            rest.AddRange(new[] { "--filter", "*" });

        var tracker = new PeakTracker(
            peaks ?? new MachinePeaks(Environment.ProcessorCount, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN),
            remeasure: peaks is not null);
        var config = CreateConfig(tracker, quick, inProcess);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.ToArray(), config).ToList();
        if (peaks is not null && summaries.Count > 0) AttentionSummaryTable.Write(summaries, tracker.Peaks);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// <c>--verify</c>: every implementation on a small shape of every configuration in the suite, against the
    /// reference path (what each benchmark's setup also does before timing). Prints one line per check.
    /// </summary>
    public static int Verify()
    {
        int passed = 0, failed = 0;

        // The FLOP counter against the runtime's own mask definition, pair by pair.
        foreach (var (n, m, causal, window) in new[] { (37, 37, false, 0), (37, 37, true, 0), (1, 50, true, 0), (9, 50, true, 0),
                                                        (40, 40, true, 7), (40, 40, false, 7), (5, 30, false, 4), (30, 30, true, 64) })
        {
            long expected = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                    if (AttentionReference.IsVisible(i, j, n, m, causal, window)) expected++;
            long counted = FlopCounter.UnmaskedPairs(n, m, causal, window);
            bool ok = counted == expected;
            if (ok) passed++; else failed++;
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")}  FlopCounter        N={n} M={m} causal={causal} window={window}: {counted} pairs, reference mask {expected}");
        }

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
        foreach (var (name, check) in Implementations.FeatureChecks())
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                check();
                passed++;
                Console.WriteLine($"ok    {name} ({sw.ElapsedMilliseconds} ms)");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAIL  {name}: {e.GetType().Name}: {e.Message}");
            }
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// One job for everything: full runs take 3 warmup and 10 measured iterations per case; --quick takes 1 and 4
    /// with a shorter target iteration time. Both launch one process per case, unless --in-process (no child
    /// build; every case runs in this process, which is faster to start and still sets up each case afresh).
    /// Prefer these switches to BenchmarkDotNet's own job options (--job, --inProcess), which replace this job. Cases a peer cannot compute are
    /// filtered out (see <see cref="Applicability"/>).
    /// </summary>
    public static IConfig CreateConfig(PeakTracker peaks, bool quick, bool inProcess)
    {
        var job = quick
            ? Job.Default.WithId("Quick").WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(4)
                 .WithIterationTime(TimeInterval.FromMilliseconds(250))
            : Job.Default.WithId("Full").WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10);
        if (inProcess) job = job.WithToolchain(InProcessEmitToolchain.Instance);

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
            .WithOrderer(new CaseOrderer())
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
        if (quick) config = config.AddFilter(new SimpleFilter(bc => Applicability.CaseOf(bc)?.Quick != false));
        return config;
    }
}
