using Attention.Benchmarks.Peers;
using BenchmarkDotNet.Running;

namespace Attention.Benchmarks.Reporting;

/// <summary>Which (method, shape) cases exist: a peer that cannot compute a shape's attention (no grouped heads,
/// no window, always causal, ...) is left out rather than timed on something else.</summary>
public static class Applicability
{
    public static AttentionShape? ShapeOf(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Value is AttentionShape shape) return shape;
        return null;
    }

    /// <summary>Why <paramref name="method"/> cannot run <paramref name="shape"/>, or null when it can.</summary>
    public static string? Unsupported(string method, AttentionShape shape) => method switch
    {
        "OrtMha" => OrtMultiHeadAttention.Unsupported(shape),
        "OrtGqa" or "OrtGqaShared" or "OrtGqaCopy" => OrtGroupQueryAttention.Unsupported(shape),
        "OrtAttention" => OrtOnnxAttention.Unsupported(shape),
        _ => null,
    };

    public static bool IsApplicable(BenchmarkCase benchmarkCase)
    {
        var shape = ShapeOf(benchmarkCase);
        return shape is null || Unsupported(benchmarkCase.Descriptor.WorkloadMethod.Name, shape) is null;
    }
}
