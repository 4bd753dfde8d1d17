using System;

namespace Attention.Benchmarks;

/// <summary>
/// What the throughput columns and the summary table need from a benchmark parameter: the useful work of a call and
/// whether it is a decode step. <see cref="AttentionShape"/> is one; the pattern, mask/bias and batch benchmarks
/// (Features/) have their own cases.
/// </summary>
public interface IAttentionCase
{
    /// <summary>Part of the README subset that <c>--quick</c> runs.</summary>
    bool Quick { get; }

    /// <summary>One query per sequence against a cache: memory-bound, reported in GB/s rather than GFLOP/s.</summary>
    bool IsDecode { get; }

    /// <summary>Useful FLOPs of one call: 4 * HeadDim per visible (query, key) pair per head, pairs counted exactly.</summary>
    double UsefulFlops { get; }

    /// <summary>Useful FLOPs of the dense kernel on the same tensors (no window, pattern, mask or bias; the same
    /// <c>Causal</c>): the work of benchmark methods marked <see cref="DenseKernelAttribute"/>.</summary>
    double DenseFlops { get; }

    /// <summary>K + V bytes a call must read at least once (what the decode columns divide by).</summary>
    double KvBytes { get; }
}

/// <summary>
/// Marks a benchmark method that runs the dense kernel of its case's configuration (same heads, head dim, tokens and
/// <c>Causal</c>, but no window, pattern, mask or bias), as the comparison point of a sparse or masked kernel. Its
/// GFLOP/s count the dense kernel's own pairs (<see cref="IAttentionCase.DenseFlops"/>), and its time over the
/// baseline's is how much the pattern saves.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class DenseKernelAttribute : Attribute
{
}
