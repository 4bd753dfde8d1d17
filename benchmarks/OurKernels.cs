// Our generated kernels in the benchmark suite. Every configuration measured by the benchmark classes has an
// [Attention] class here; the source generator emits its Forward. This file is the only one that depends on the
// generator's output: while the generator is not ready, exclude it in Attention.Benchmarks.csproj and everything
// else still builds and runs (peers only, no baseline).
using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks
{
    /// <summary>The [Attention] classes and the lookup from a benchmark shape to its generated Forward.</summary>
    public static class OurKernels
    {
        public static AttentionForward Resolve(AttentionShape s) => (s.Heads, s.KvGroups, s.HeadDim, s.Causal, s.Window) switch
        {
            (8, 8, 64, false, 0) => Kernels.Mha8D64.Forward,
            (8, 8, 64, true, 0) => Kernels.Mha8D64Causal.Forward,
            (8, 8, 80, false, 0) => Kernels.Mha8D80.Forward,
            (8, 8, 80, true, 0) => Kernels.Mha8D80Causal.Forward,
            (8, 8, 128, false, 0) => Kernels.Mha8D128.Forward,
            (8, 8, 128, true, 0) => Kernels.Mha8D128Causal.Forward,
            (32, 8, 128, false, 0) => Kernels.Gqa32x8D128.Forward,
            (32, 8, 128, true, 0) => Kernels.Gqa32x8D128Causal.Forward,
            (32, 1, 128, false, 0) => Kernels.Mqa32D128.Forward,
            (32, 1, 128, true, 0) => Kernels.Mqa32D128Causal.Forward,
            (32, 8, 128, true, 512) => Kernels.Gqa32x8D128Window512.Forward,
            _ => throw new NotSupportedException($"No [Attention] class in OurKernels.cs for {s}; add one."),
        };

        public static IAttentionRunner Create(AttentionInputs inputs) => new DelegateRunner("Ours", inputs, Resolve(inputs.Shape));
    }

    public static partial class Implementations
    {
        static partial void AddOurs(List<(string, Func<AttentionInputs, IAttentionRunner>)> list) => list.Add(("Ours", OurKernels.Create));
    }

    public partial class PrefillBenchmarks
    {
        [GlobalSetup(Target = nameof(Ours))]
        public void SetupOurs() => Setup(OurKernels.Create);

        [Benchmark(Baseline = true, Description = "Ours")]
        public void Ours() => RunCurrent();
    }

    public partial class DecodeBenchmarks
    {
        [GlobalSetup(Target = nameof(Ours))]
        public void SetupOurs() => Setup(OurKernels.Create);

        [Benchmark(Baseline = true, Description = "Ours")]
        public void Ours() => RunCurrent();
    }

    public partial class WindowBenchmarks
    {
        [GlobalSetup(Target = nameof(Ours))]
        public void SetupOurs() => Setup(OurKernels.Create);

        [Benchmark(Baseline = true, Description = "Ours")]
        public void Ours() => RunCurrent();

        /// <summary>The dense kernel of the same configuration (GQA 32/8 d128 causal, no window) on the same tensors:
        /// its time over the window kernel's (the Ratio column) against the work ratio (dense pairs over window pairs,
        /// about 16 at 16384 tokens and W = 512) shows the window kernel's time is proportional to tokens x window. About
        /// 2.2 TFLOP a call (seconds on a few cores), so it takes no warmup iteration (the setup's verification call
        /// and BenchmarkDotNet's jitting call already ran it twice) and three measured ones.</summary>
        [GlobalSetup(Target = nameof(Dense))]
        public void SetupDense() => Setup(OurKernels.Create, Shape with { Window = 0 });

        [Benchmark(Description = "Dense"), DenseKernel, WarmupCount(0), IterationCount(3)]
        public void Dense() => RunCurrent();
    }

    public partial class ReferenceBenchmarks
    {
        [GlobalSetup(Target = nameof(Ours))]
        public void SetupOurs() => Setup(OurKernels.Create);

        [Benchmark(Baseline = true, Description = "Ours")]
        public void Ours() => RunCurrent();
    }
}

namespace Attention.Benchmarks.Kernels
{
    // Multi-head, 8 heads: head dims 64, 80 (not a power of two) and 128.
    [Attention(HeadDim = 64, Heads = 8)] public static partial class Mha8D64;
    [Attention(HeadDim = 64, Heads = 8, Causal = true)] public static partial class Mha8D64Causal;
    [Attention(HeadDim = 80, Heads = 8)] public static partial class Mha8D80;
    [Attention(HeadDim = 80, Heads = 8, Causal = true)] public static partial class Mha8D80Causal;
    [Attention(HeadDim = 128, Heads = 8)] public static partial class Mha8D128;
    [Attention(HeadDim = 128, Heads = 8, Causal = true)] public static partial class Mha8D128Causal;

    // Grouped-query 32/8 (Llama-3-8B-like) and multi-query 32/1, head dim 128. The causal GQA class also serves decode.
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 8)] public static partial class Gqa32x8D128;
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true)] public static partial class Gqa32x8D128Causal;
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 1)] public static partial class Mqa32D128;
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 1, Causal = true)] public static partial class Mqa32D128Causal;

    // Mistral-style sliding window: the 512 most recent keys, causal.
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true, Window = 512)] public static partial class Gqa32x8D128Window512;
}
