using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Base of the Features/ benchmark classes (patterns, run-time mask and bias, batches): each method's [GlobalSetup]
/// builds one runner, which verifies itself against the reference before anything is timed (as
/// <see cref="AttentionBenchmarkBase"/> does), and the benchmark body is a single <see cref="IAttentionRunner.Run"/>.
/// </summary>
public abstract class FeatureBenchmarkBase
{
    private IAttentionRunner? _runner;

    protected void Setup(Func<IAttentionRunner> build)
    {
        Cleanup();
        _runner = build();
    }

    protected void RunCurrent() => _runner!.Run();

    /// <summary>The dense kernel (OurKernels.cs) on <paramref name="shape"/>, verified as the suite verifies every
    /// implementation; the comparison point of [DenseKernel] methods.</summary>
    protected static IAttentionRunner DenseRunner(AttentionShape shape)
    {
        var inputs = new AttentionInputs(shape);
        var runner = OurKernels.Create(inputs);
        try
        {
            Verification.Check(runner, inputs, OurKernels.Create);
        }
        catch
        {
            runner.Dispose();
            inputs.Dispose();
            throw;
        }
        return new FeatureRunner(runner.Name, inputs, runner.Run, () => runner.Output, runner);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _runner = null;
    }
}

/// <summary>A runner over buffers it owns: <paramref name="run"/> is the timed call, <paramref name="output"/> reads its result.</summary>
public sealed class FeatureRunner : IAttentionRunner
{
    private readonly Action _run;
    private readonly OutputSpan _output;
    private readonly IDisposable[] _owned;

    public delegate ReadOnlySpan<float> OutputSpan();

    public FeatureRunner(string name, AttentionInputs inputs, Action run, OutputSpan output, params IDisposable[] owned)
    {
        Name = name;
        Inputs = inputs;
        _run = run;
        _output = output;
        _owned = owned;
    }

    public string Name { get; }

    /// <summary>The query, key and value tensors (for a batch, in the packed layout).</summary>
    public AttentionInputs Inputs { get; }

    public ReadOnlySpan<float> Output => _output();

    public void Run() => _run();

    /// <summary>Runs this freshly built runner once and checks its output with <paramref name="check"/>; disposes it
    /// if the run or the check throws, so a failed verification leaks no native buffers.</summary>
    public FeatureRunner RunAndCheck(Action<FeatureRunner> check)
    {
        try
        {
            Run();
            check(this);
            return this;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
        Inputs.Dispose();
    }
}

/// <summary>
/// Correctness checks of the Features/ runners, the same two as <see cref="Verification"/>: a small case of the same
/// configuration element by element against <see cref="AttentionReference"/> (with the pattern, global positions, mask
/// or bias), and sampled rows of the real-size output against an exact double-precision evaluation.
/// </summary>
public static class FeatureVerification
{
    /// <summary>Whether query row <c>i</c> sees key <c>j</c>, and the bias added to that pair's score.</summary>
    public delegate bool Visibility(int i, int j);

    public delegate double PairBias(int i, int j);

    public static void Compare(string name, string what, int heads, int headDim, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string against)
    {
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"{name} on {what}: output has {actual.Length} elements, expected {expected.Length}.");
        int rowSize = heads * headDim;
        for (int e = 0; e < expected.Length; e++)
        {
            double diff = Math.Abs((double)expected[e] - actual[e]);
            if (!(diff <= Verification.Tolerance))
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{name} does not match the {against} on {what}: row {e / rowSize}, head {e % rowSize / headDim}, feature {e % headDim}: got {actual[e]}, expected {expected[e]} (|diff| {diff:G3} > {Verification.Tolerance})."));
        }
    }

    /// <summary>Rows 0, N/3, N/2, 2N/3 and N - 1 of one sequence (all heads) against <see cref="ExactRow"/>.
    /// <paramref name="output"/> holds that sequence's rows, <c>[queryLength][heads][headDim]</c>.</summary>
    public static void CheckSampledRows(string name, string what, int heads, int kvGroups, int headDim,
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> output,
        int queryLength, int keyLength, Visibility visible, PairBias? bias = null)
    {
        if (queryLength == 0) return;
        int rowSize = heads * headDim;
        var exact = new double[rowSize];
        foreach (int i in new[] { 0, queryLength / 3, queryLength / 2, (2 * queryLength) / 3, queryLength - 1 }.Distinct())
        {
            ExactRow(heads, kvGroups, headDim, q, k, v, i, keyLength, visible, bias, exact);
            for (int e = 0; e < rowSize; e++)
            {
                double diff = Math.Abs(exact[e] - output[i * rowSize + e]);
                if (!(diff <= Verification.Tolerance))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"{name} does not compute the same attention as the contract on {what}: row {i}, head {e / headDim}, feature {e % headDim}: got {output[i * rowSize + e]}, expected {exact[e]:G9} (|diff| {diff:G3} > {Verification.Tolerance})."));
            }
        }
    }

    /// <summary>One query row, all heads, in double precision, from the definition: softmax over the visible keys of
    /// scale * q.k (+ bias), scale = 1/sqrt(headDim); zeros when no key is visible.</summary>
    public static void ExactRow(int heads, int kvGroups, int headDim, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        int i, int keyLength, Visibility visible, PairBias? bias, Span<double> result)
    {
        int groupSize = heads / kvGroups;
        double scale = 1.0 / Math.Sqrt(headDim);
        var keys = new List<int>();
        for (int j = 0; j < keyLength; j++)
            if (visible(i, j)) keys.Add(j);
        var scores = new double[keys.Count];
        for (int h = 0; h < heads; h++)
        {
            int g = h / groupSize;
            var outRow = result.Slice(h * headDim, headDim);
            outRow.Clear();
            if (keys.Count == 0) continue;
            var qRow = q.Slice((i * heads + h) * headDim, headDim);
            double max = double.NegativeInfinity;
            for (int x = 0; x < keys.Count; x++)
            {
                var kRow = k.Slice((keys[x] * kvGroups + g) * headDim, headDim);
                double dot = 0;
                for (int d = 0; d < headDim; d++) dot += (double)qRow[d] * kRow[d];
                scores[x] = dot * scale + (bias?.Invoke(i, keys[x]) ?? 0);
                max = Math.Max(max, scores[x]);
            }
            double sum = 0;
            for (int x = 0; x < scores.Length; x++) { scores[x] = Math.Exp(scores[x] - max); sum += scores[x]; }
            for (int x = 0; x < keys.Count; x++)
            {
                var vRow = v.Slice((keys[x] * kvGroups + g) * headDim, headDim);
                double p = scores[x] / sum;
                for (int d = 0; d < headDim; d++) outRow[d] += p * vRow[d];
            }
        }
    }
}
