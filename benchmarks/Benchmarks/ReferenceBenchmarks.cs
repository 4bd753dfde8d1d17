using System.Collections.Generic;
using Attention.Benchmarks.Peers;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Small shapes on which the (deliberately slow, double-precision, full score matrix) reference path can be timed
/// next to everything else, to show what specialization buys over the specification.
/// </summary>
public partial class ReferenceBenchmarks : AttentionBenchmarkBase
{
    public override IEnumerable<AttentionShape> Shapes()
    {
        yield return new AttentionShape(8, 8, 64, 256, 256, Causal: false, Quick: true);
        yield return new AttentionShape(8, 8, 64, 256, 256, Causal: true, Quick: true);
        yield return new AttentionShape(32, 8, 128, 1, 1024, Causal: true, Quick: true);
    }

    [GlobalSetup(Target = nameof(Reference))]
    public void SetupReference() => Setup(ReferencePath.Create);

    [Benchmark(Description = "Reference")]
    public void Reference() => RunCurrent();

    [GlobalSetup(Target = nameof(OrtMha))]
    public void SetupOrtMha() => Setup(i => new OrtMultiHeadAttention(i));

    [Benchmark(Description = "ORT-MHA")]
    public void OrtMha() => RunCurrent();

    [GlobalSetup(Target = nameof(OrtGqa))]
    public void SetupOrtGqa() => Setup(i => new OrtGroupQueryAttention(i));

    [Benchmark(Description = "ORT-GQA")]
    public void OrtGqa() => RunCurrent();

    [GlobalSetup(Target = nameof(OrtAttention))]
    public void SetupOrtAttention() => Setup(i => new OrtOnnxAttention(i));

    [Benchmark(Description = "ORT-Attention")]
    public void OrtAttention() => RunCurrent();

    [GlobalSetup(Target = nameof(TensorPrimitives))]
    public void SetupTensorPrimitives() => Setup(i => new TensorPrimitivesAttention(i));

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives() => RunCurrent();
}
