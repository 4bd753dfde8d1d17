using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Run-time inputs on a dense kernel (MHA 8 d128, 2048 tokens, bidirectional): a padding-style boolean mask
/// (<c>Forward(..., ReadOnlySpan&lt;bool&gt; mask)</c>, the last quarter of the keys false for every query) and an
/// additive [N][M] bias (<c>Forward(..., ReadOnlySpan&lt;float&gt; bias)</c>), each against the plain <c>Forward</c> of
/// the same class on the same tensors (the Dense column). The mask's useful work is the kept pairs (75%), so a mask
/// kernel that skips the all-false tiles shows about the dense GFLOP/s and a time ratio near "work 1.33x"; the bias
/// hides nothing, so its ratio is the cost of reading and adding the bias.
/// </summary>
public class MaskBiasBenchmarks : FeatureBenchmarkBase
{
    [ParamsSource(nameof(Cases))]
    public MaskBiasCase Case { get; set; } = null!;

    public static IEnumerable<MaskBiasCase> Cases()
    {
        yield return new MaskBiasCase(RuntimeInput.PaddingMask, 8, 8, 128, 2048, Causal: false, Quick: true);
        yield return new MaskBiasCase(RuntimeInput.Bias, 8, 8, 128, 2048, Causal: false, Quick: true);
    }

    /// <summary>A generated Forward with a mask or a bias (the one the case does not use is empty).</summary>
    public delegate void RuntimeInputForward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, ReadOnlySpan<bool> mask, ReadOnlySpan<float> bias);

    /// <summary>The dense [Attention] class of the case's shape (OurKernels.cs), through its mask or bias overload.</summary>
    public static RuntimeInputForward Resolve(MaskBiasCase c) => (c.Heads, c.KvGroups, c.HeadDim, c.Causal, c.Input) switch
    {
        (8, 8, 128, false, RuntimeInput.PaddingMask) => (q, k, v, o, n, m, mask, _) => Kernels.Mha8D128.Forward(q, k, v, o, n, m, mask),
        (8, 8, 128, false, RuntimeInput.Bias) => (q, k, v, o, n, m, _, bias) => Kernels.Mha8D128.Forward(q, k, v, o, n, m, bias),
        (8, 8, 128, true, RuntimeInput.PaddingMask) => (q, k, v, o, n, m, mask, _) => Kernels.Mha8D128Causal.Forward(q, k, v, o, n, m, mask),
        (8, 8, 128, true, RuntimeInput.Bias) => (q, k, v, o, n, m, _, bias) => Kernels.Mha8D128Causal.Forward(q, k, v, o, n, m, bias),
        _ => throw new NotSupportedException($"No mask/bias kernel for {c}; add one."),
    };

    public static FeatureRunner Create(MaskBiasCase c, int seed = 1234)
    {
        var forward = Resolve(c);
        var inputs = new AttentionInputs(c.DenseShape, seed);
        bool[] mask = c.Input == RuntimeInput.PaddingMask ? c.Mask(c.Tokens, c.Tokens) : Array.Empty<bool>();
        float[] bias = c.Input == RuntimeInput.Bias ? c.Bias(c.Tokens, c.Tokens) : Array.Empty<float>();
        var output = new NativeBuffer(c.DenseShape.QueryElements);
        return new FeatureRunner($"Ours {c.Input}", inputs,
            () => forward(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, output.Span, c.Tokens, c.Tokens, mask, bias),
            () => output.Span, output);
    }

    public static void CheckSmall(MaskBiasCase c)
    {
        var small = c.Small();
        using var runner = Create(small, seed: 99);
        runner.Run();
        var inputs = runner.Inputs;
        var expected = new float[small.DenseShape.QueryElements];
        AttentionReference.Forward(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, expected, small.Tokens, small.Tokens,
            small.Heads, small.KvGroups, small.HeadDim, new AttentionPattern { Causal = small.Causal }, 0f, default,
            small.Input == RuntimeInput.PaddingMask ? small.Mask(small.Tokens, small.Tokens) : default,
            small.Input == RuntimeInput.Bias ? small.Bias(small.Tokens, small.Tokens) : default);
        FeatureVerification.Compare(runner.Name, small.ToString(), small.Heads, small.HeadDim, expected, runner.Output, "reference path");
    }

    public static FeatureRunner CreateVerified(MaskBiasCase c)
    {
        CheckSmall(c);
        return Create(c).RunAndCheck(runner =>
        {
            int n = c.Tokens, kept = MaskBiasCase.KeptKeys(n);
            float[]? bias = c.Input == RuntimeInput.Bias ? c.Bias(n, n) : null;
            var inputs = runner.Inputs;
            FeatureVerification.CheckSampledRows(runner.Name, c.ToString(), c.Heads, c.KvGroups, c.HeadDim,
                inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, runner.Output, n, n,
                (i, j) => (!c.Causal || j <= i) && (c.Input != RuntimeInput.PaddingMask || j < kept),
                bias is null ? null : (i, j) => bias[i * n + j]);
        });
    }

    [GlobalSetup(Target = nameof(Ours))]
    public void SetupOurs() => Setup(() => CreateVerified(Case));

    [Benchmark(Baseline = true, Description = "Ours")]
    public void Ours() => RunCurrent();

    [GlobalSetup(Target = nameof(Dense))]
    public void SetupDense() => Setup(() => DenseRunner(Case.DenseShape));

    /// <summary>The plain Forward (no mask, no bias) of the same class on the same tensors.</summary>
    [Benchmark(Description = "Dense"), DenseKernel]
    public void Dense() => RunCurrent();

    public static IEnumerable<(string Name, Action Check)> SmallChecks()
    {
        foreach (var c in Cases())
            yield return ($"MaskBias {c.Small()}", () => CheckSmall(c));
    }
}
