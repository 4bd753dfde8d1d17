using System;
using System.Collections.Generic;
using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Sparse patterns at 4096 tokens (prefill, N = M), each against our dense kernel of the same shape and causal flag:
/// asymmetric window (256 left, 64 right), chunked local (Llama 4: causal chunks of 512, GQA 32/8 d128), Longformer
/// (band |p - j| &lt; 256 plus 16 global positions), BigBird (blocks of 64, 3 random blocks, seed 1) and the Sparse
/// Transformer's strided (l = 64) and fixed (l = 64, c = 8) causal patterns. Useful work counts the visible pairs
/// exactly (<see cref="PatternCase.VisiblePairs"/>), so GFLOP/s shows how well a pattern kernel skips what it hides;
/// the Dense column's ratio ("ours Nx", BenchmarkDotNet's Ratio) against "work Nx" (dense pairs over visible pairs)
/// shows whether time follows the visible pairs. The [Attention] classes are in PatternKernels.cs.
/// </summary>
public class PatternBenchmarks : FeatureBenchmarkBase
{
    public const int Tokens = 4096;

    [ParamsSource(nameof(Cases))]
    public PatternCase Case { get; set; } = null!;

    public static IEnumerable<PatternCase> Cases()
    {
        yield return new PatternCase("window-l256-r64", 8, 8, 64, Tokens, new AttentionPattern { WindowLeft = 256, WindowRight = 64 },
            SmallTokens: 256 + 64 + 67, Quick: true);
        yield return new PatternCase("causal-chunk512", 32, 8, 128, Tokens, new AttentionPattern { Causal = true, Chunk = 512 },
            SmallTokens: 512 + 67, Quick: true);
        yield return new PatternCase("longformer-w256-g16", 8, 8, 64, Tokens, new AttentionPattern { GlobalTokens = true, Window = 256 },
            GlobalCount: 16, SmallTokens: 256 + 67, Quick: true);
        yield return new PatternCase("bigbird-b64-r3", 8, 8, 64, Tokens, new AttentionPattern { BlockSize = 64, RandomBlocks = 3, Seed = 1 },
            SmallTokens: 8 * 64 + 27, Quick: true);
        yield return new PatternCase("causal-strided64", 8, 8, 64, Tokens, new AttentionPattern { Causal = true, Stride = 64 },
            SmallTokens: 4 * 64 + 67, Quick: true);
        yield return new PatternCase("causal-fixed64-c8", 8, 8, 64, Tokens, new AttentionPattern { Causal = true, FixedBlock = 64, FixedSummary = 8 },
            SmallTokens: 4 * 64 + 67, Quick: true);
        // Useful work counts every causal pair: all of them are scored to select each query's 32 best.
        yield return new PatternCase("causal-topk32", 8, 8, 64, Tokens, new AttentionPattern { Causal = true, TopK = 32 },
            SmallTokens: 2 * 64 + 67, Quick: true);
    }

    /// <summary>A generated single-sequence Forward, with the global positions for Longformer kernels (ignored otherwise).</summary>
    public delegate void PatternForward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, ReadOnlySpan<int> globalPositions);

    /// <summary>The [Attention] class of each case (PatternKernels.cs); its attribute must spell the case's pattern.</summary>
    public static PatternForward Resolve(PatternCase c) => c.Name switch
    {
        "window-l256-r64" => (q, k, v, o, n, m, _) => Kernels.Mha8D64WindowL256R64.Forward(q, k, v, o, n, m),
        "causal-chunk512" => (q, k, v, o, n, m, _) => Kernels.Gqa32x8D128Chunk512.Forward(q, k, v, o, n, m),
        "longformer-w256-g16" => (q, k, v, o, n, m, g) => Kernels.Mha8D64Longformer256.Forward(q, k, v, o, n, m, g),
        "bigbird-b64-r3" => (q, k, v, o, n, m, _) => Kernels.Mha8D64BigBird64.Forward(q, k, v, o, n, m),
        "causal-strided64" => (q, k, v, o, n, m, _) => Kernels.Mha8D64Strided64.Forward(q, k, v, o, n, m),
        "causal-fixed64-c8" => (q, k, v, o, n, m, _) => Kernels.Mha8D64Fixed64x8.Forward(q, k, v, o, n, m),
        "causal-topk32" => (q, k, v, o, n, m, _) => Kernels.Mha8D64TopK32.Forward(q, k, v, o, n, m),
        _ => throw new NotSupportedException($"No [Attention] class in PatternKernels.cs for {c}; add one."),
    };

    /// <summary>Our pattern kernel on <paramref name="c"/>'s tensors (seeded as <see cref="AttentionInputs"/>), unverified.</summary>
    public static FeatureRunner Create(PatternCase c, int seed = 1234)
    {
        var forward = Resolve(c);
        var inputs = new AttentionInputs(c.DenseShape, seed);
        int[] globals = c.GlobalPositions(c.Tokens);
        var output = new NativeBuffer(c.DenseShape.QueryElements);
        return new FeatureRunner("Ours " + c.Name, inputs,
            () => forward(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, output.Span, c.Tokens, c.Tokens, globals),
            () => output.Span, output);
    }

    /// <summary>The small case of the same configuration against <see cref="AttentionReference"/>, element by element.</summary>
    public static void CheckSmall(PatternCase c)
    {
        var small = c.Small();
        using var runner = Create(small, seed: 99);
        runner.Run();
        var inputs = runner.Inputs;
        var expected = new float[small.DenseShape.QueryElements];
        AttentionReference.Forward(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, expected, small.Tokens, small.Tokens,
            small.Heads, small.KvGroups, small.HeadDim, small.Pattern, 0f, small.GlobalPositions(small.Tokens));
        FeatureVerification.Compare(runner.Name, small.ToString(), small.Heads, small.HeadDim, expected, runner.Output, "reference path");
    }

    /// <summary>Builds our pattern kernel's runner and verifies it (small case, then sampled rows of the real output).</summary>
    public static FeatureRunner CreateVerified(PatternCase c)
    {
        CheckSmall(c);
        return Create(c).RunAndCheck(runner =>
        {
            int[] globals = c.GlobalPositions(c.Tokens);
            var inputs = runner.Inputs;
            // The sampled-row check knows visibility only; hard attention (TopK) also selects by score, which the small
            // case above checks against AttentionReference.Forward.
            if (c.Pattern.TopK == 0)
            {
                FeatureVerification.CheckSampledRows(runner.Name, c.ToString(), c.Heads, c.KvGroups, c.HeadDim,
                    inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, runner.Output, c.Tokens, c.Tokens,
                    (i, j) => AttentionReference.IsVisible(i, j, c.Tokens, c.Tokens, c.Pattern, globals));
            }
        });
    }

    [GlobalSetup(Target = nameof(Ours))]
    public void SetupOurs() => Setup(() =>
    {
        var runner = CreateVerified(Case);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// {Case}: {Case.VisiblePairs} visible pairs per head, {100.0 * Case.UsefulFlops / Case.DenseFlops:F2}% of the dense kernel's ({Case.UsefulFlops / 1e9:F2} vs {Case.DenseFlops / 1e9:F2} GFLOP)"));
        return runner;
    });

    [Benchmark(Baseline = true, Description = "Ours")]
    public void Ours() => RunCurrent();

    [GlobalSetup(Target = nameof(Dense))]
    public void SetupDense() => Setup(() => DenseRunner(Case.DenseShape));

    [Benchmark(Description = "Dense"), DenseKernel]
    public void Dense() => RunCurrent();

    /// <summary>The --verify checks: every case's small shape against the reference.</summary>
    public static IEnumerable<(string Name, Action Check)> SmallChecks()
    {
        foreach (var c in Cases())
            yield return ($"Pattern {c.Small()}", () => CheckSmall(c));
    }
}
