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

    /// <summary>The case parameter of a benchmark: an <see cref="AttentionShape"/> or a Features/ case.</summary>
    public static IAttentionCase? CaseOf(BenchmarkCase benchmarkCase)
    {
        foreach (var p in benchmarkCase.Parameters.Items)
            if (p.Value is IAttentionCase attentionCase) return attentionCase;
        return null;
    }

    /// <summary>Whether the method runs the dense kernel of its case (<see cref="DenseKernelAttribute"/>).</summary>
    public static bool RunsDenseKernel(BenchmarkCase benchmarkCase)
        => benchmarkCase.Descriptor.WorkloadMethod.IsDefined(typeof(DenseKernelAttribute), inherit: true);

    /// <summary>Useful FLOPs of one call of this method on this case: the dense kernel's own pairs for
    /// <see cref="DenseKernelAttribute"/> methods, the case's visible pairs otherwise.</summary>
    public static double? UsefulFlops(BenchmarkCase benchmarkCase)
        => CaseOf(benchmarkCase) is { } c ? (RunsDenseKernel(benchmarkCase) ? c.DenseFlops : c.UsefulFlops) : null;

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
