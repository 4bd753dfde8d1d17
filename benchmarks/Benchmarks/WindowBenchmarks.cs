using System.Collections.Generic;
using Attention.Benchmarks.Peers;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Sliding window (Mistral-style, causal, W = 512) prefill of 16384 tokens, grouped-query 32/8, head dim 128.
/// Only the unmasked pairs count as useful work (about N * W), so GFLOP/s shows whether an implementation skips
/// the masked tiles. ORT's GroupQueryAttention does it with <c>local_window_size</c>. <c>Dense</c> (OurKernels.cs) is our
/// dense causal kernel of the same configuration on the same tensors: its time over ours ("ours Nx", BenchmarkDotNet's
/// Ratio) next to the work ratio (dense pairs over window pairs, "work 16.25x") shows that the window kernel's time is
/// proportional to tokens x window. Dense costs about 2.2 TFLOP a call, so it runs no warmup and three iterations.
/// </summary>
public partial class WindowBenchmarks : AttentionBenchmarkBase
{
    public override IEnumerable<AttentionShape> Shapes()
    {
        yield return new AttentionShape(32, 8, 128, 16384, 16384, Causal: true, Window: 512, Quick: true);
    }

    [GlobalSetup(Target = nameof(OrtGqa))]
    public void SetupOrtGqa() => Setup(i => new OrtGroupQueryAttention(i));

    [Benchmark(Description = "ORT-GQA")]
    public void OrtGqa() => RunCurrent();

    [GlobalSetup(Target = nameof(TensorPrimitives))]
    public void SetupTensorPrimitives() => Setup(i => new TensorPrimitivesAttention(i));

    [Benchmark(Description = "TensorPrimitives")]
    public void TensorPrimitives() => RunCurrent();
}
