using System.Collections.Generic;
using Attention.Benchmarks.Peers;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Decode: one query (grouped-query 32/8, head dim 128) against 1k to 16k cached keys. Memory-bound: read GB/s
/// (K + V bytes per step over the time) and % stream. ORT GroupQueryAttention runs as in generation, with its cache
/// in a past/present shared buffer (and, for comparison, with the past copied into present each step).
/// </summary>
public partial class DecodeBenchmarks : AttentionBenchmarkBase
{
    public override IEnumerable<AttentionShape> Shapes()
    {
        foreach (int m in new[] { 1024, 2048, 4096, 8192, 16384 })
            yield return new AttentionShape(32, 8, 128, 1, m, Causal: true, Quick: m is 4096 or 16384);
    }

    [GlobalSetup(Target = nameof(OrtGqaShared))]
    public void SetupOrtGqaShared() => Setup(i => new OrtGroupQueryAttention(i, sharedBuffer: true));

    [Benchmark(Description = "ORT-GQA-shared")]
    public void OrtGqaShared() => RunCurrent();

    [GlobalSetup(Target = nameof(OrtGqaCopy))]
    public void SetupOrtGqaCopy() => Setup(i => new OrtGroupQueryAttention(i, sharedBuffer: false));

    [Benchmark(Description = "ORT-GQA-copy")]
    public void OrtGqaCopy() => RunCurrent();

    [GlobalSetup(Target = nameof(OrtAttention))]
    public void SetupOrtAttention() => Setup(i => new OrtOnnxAttention(i));

    [Benchmark(Description = "ORT-Attention")]
    public void OrtAttention() => RunCurrent();

    [GlobalSetup(Target = nameof(TensorPrimitives))]
    public void SetupTensorPrimitives() => Setup(i => new TensorPrimitivesAttention(i));

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives() => RunCurrent();
}
