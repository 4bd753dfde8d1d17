using System.Collections.Generic;
using Attention.Benchmarks.Peers;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Prefill (N = M): multi-head 8 heads at head dims 64/80/128, grouped-query 32/8 and multi-query 32/1 at 128,
/// 512 to 4096 tokens, bidirectional and causal. Compute-bound: read GFLOP/s and % peak.
/// Our kernel (<c>Ours</c>, the baseline) is in OurKernels.cs.
/// </summary>
public partial class PrefillBenchmarks : AttentionBenchmarkBase
{
    public static readonly int[] Tokens = { 512, 1024, 2048, 4096 };

    public override IEnumerable<AttentionShape> Shapes()
    {
        foreach (int headDim in new[] { 64, 80, 128 })
            foreach (int n in Tokens)
                foreach (bool causal in new[] { false, true })
                    yield return new AttentionShape(8, 8, headDim, n, n, causal, Quick: headDim is 64 or 128 && n == 2048);
        foreach (int kvGroups in new[] { 8, 1 })
            foreach (int n in Tokens)
                foreach (bool causal in new[] { false, true })
                    yield return new AttentionShape(32, kvGroups, 128, n, n, causal, Quick: kvGroups == 8 && n == 2048 && causal);
    }

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
