using System;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Shared plumbing of the benchmark classes. The only parameter is <see cref="Shape"/>; each benchmark method
/// has its own [GlobalSetup] that builds just that implementation over the shape's inputs and verifies it
/// (small shape against the reference path, sampled rows of the real output against an exact evaluation) before
/// anything is timed. The benchmark body is a single <see cref="IAttentionRunner.Run"/>.
/// </summary>
public abstract class AttentionBenchmarkBase
{
    private AttentionInputs? _inputs;
    private IAttentionRunner? _runner;

    [ParamsSource(nameof(Shapes))]
    public AttentionShape Shape { get; set; } = null!;

    /// <summary>The shapes this class measures (BenchmarkDotNet reads them through <see cref="Shape"/>).</summary>
    public abstract System.Collections.Generic.IEnumerable<AttentionShape> Shapes();

    /// <summary>Builds and verifies one implementation for the current <see cref="Shape"/>.</summary>
    protected void Setup(Func<AttentionInputs, IAttentionRunner> create) => Setup(create, Shape);

    /// <summary>Builds and verifies one implementation for <paramref name="shape"/>, a variant of the current
    /// <see cref="Shape"/> with the same tensors: e.g. the dense shape (no window) a [DenseKernel] method runs.</summary>
    protected void Setup(Func<AttentionInputs, IAttentionRunner> create, AttentionShape shape)
    {
        _inputs = new AttentionInputs(shape);
        _runner = create(_inputs);
        Verification.Check(_runner, _inputs, create);
    }

    protected void RunCurrent() => _runner!.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _inputs?.Dispose();
        _runner = null;
        _inputs = null;
    }
}
