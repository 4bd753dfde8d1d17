using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Attention.Benchmarks.Reporting;

/// <summary>
/// BenchmarkDotNet's declared-order <see cref="DefaultOrderer"/>, except that a logical group (the cases a
/// <c>Ratio</c> compares with the baseline) is the class, the case parameter and the job's id, not the job's full
/// characteristics. A method may then shorten its own iteration counts with <c>[WarmupCount]</c>/<c>[IterationCount]</c>
/// (the dense 16k-token kernel of <see cref="WindowBenchmarks"/> takes seconds per call) and still get its ratio to the
/// baseline. In the tables, [DenseKernel] methods come last in their group.
/// </summary>
public sealed class CaseOrderer : IOrderer
{
    private readonly DefaultOrderer _inner = new(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared);

    public bool SeparateLogicalGroups => _inner.SeparateLogicalGroups;

    public string GetLogicalGroupKey(ImmutableArray<BenchmarkCase> allBenchmarksCases, BenchmarkCase benchmarkCase)
        => string.Join("|", benchmarkCase.Descriptor.Type.FullName, benchmarkCase.Parameters.ValueInfo, benchmarkCase.Job.Id);

    public IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarkCases, IEnumerable<BenchmarkLogicalGroupRule>? order = null)
        => _inner.GetExecutionOrder(benchmarkCases, order);

    public IEnumerable<BenchmarkCase> GetSummaryOrder(ImmutableArray<BenchmarkCase> benchmarksCases, Summary summary)
    {
        var ordered = _inner.GetSummaryOrder(benchmarksCases, summary).ToList();
        var firstSeen = new Dictionary<string, int>();
        foreach (var benchmarkCase in ordered)
            firstSeen.TryAdd(GetLogicalGroupKey(benchmarksCases, benchmarkCase), firstSeen.Count);
        return ordered.OrderBy(c => firstSeen[GetLogicalGroupKey(benchmarksCases, c)]).ThenBy(Applicability.RunsDenseKernel);
    }

    public string? GetHighlightGroupKey(BenchmarkCase benchmarkCase) => _inner.GetHighlightGroupKey(benchmarkCase);

    public IEnumerable<IGrouping<string, BenchmarkCase>> GetLogicalGroupOrder(IEnumerable<IGrouping<string, BenchmarkCase>> logicalGroups,
        IEnumerable<BenchmarkLogicalGroupRule>? order = null)
        => _inner.GetLogicalGroupOrder(logicalGroups, order);
}
