using System;
using System.Globalization;

namespace Attention.Benchmarks;

/// <summary>
/// Guards every comparison: before an implementation is timed, it must reproduce the reference path on a small
/// shape of the same configuration, and a few sampled rows of the real-size output must match an exact
/// (double precision) per-row evaluation of the contract. Any mismatch above <see cref="Tolerance"/> throws,
/// so no benchmark ever compares against a peer that computes something else.
/// </summary>
public static class Verification
{
    public const double Tolerance = 1e-3;

    /// <summary>Checks <paramref name="create"/> on the small shape against the reference, then checks sampled
    /// rows of <paramref name="runner"/> (already bound to the real inputs).</summary>
    public static void Check(IAttentionRunner runner, AttentionInputs inputs, Func<AttentionInputs, IAttentionRunner> create)
    {
        CheckSmall(inputs.Shape, create);
        runner.Run();
        CheckSampledRows(runner.Name, inputs, runner.Output);
    }

    /// <summary>Builds the implementation over a small shape of the same configuration and compares every
    /// output element with <c>AttentionReference.Forward</c>.</summary>
    public static void CheckSmall(AttentionShape shape, Func<AttentionInputs, IAttentionRunner> create)
    {
        var small = shape.Small();
        using var inputs = new AttentionInputs(small, seed: 99);
        using var runner = create(inputs);
        runner.Run();
        var expected = new float[small.QueryElements];
        ReferencePath.Forward(small, inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, expected);
        Compare(runner.Name, small, expected, runner.Output, "reference path");
    }

    /// <summary>Compares up to five query rows (first, last and three between), all heads, with
    /// <see cref="ExactRow"/>.</summary>
    public static void CheckSampledRows(string name, AttentionInputs inputs, ReadOnlySpan<float> output)
    {
        var s = inputs.Shape;
        int rowSize = s.Heads * s.HeadDim;
        Span<int> rows = stackalloc int[] { 0, s.QueryLength / 3, s.QueryLength / 2, (2 * s.QueryLength) / 3, s.QueryLength - 1 };
        var exact = new double[rowSize];
        foreach (int i in rows)
        {
            ExactRow(s, inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, i, exact);
            for (int e = 0; e < rowSize; e++)
            {
                double diff = Math.Abs(exact[e] - output[i * rowSize + e]);
                if (!(diff <= Tolerance))
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"{name} does not compute the same attention as the contract on {s}: row {i}, head {e / s.HeadDim}, feature {e % s.HeadDim}: got {output[i * rowSize + e]}, expected {exact[e]:G9} (|diff| {diff:G3} > {Tolerance})."));
            }
        }
    }

    public static void Compare(string name, AttentionShape shape, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string against)
    {
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"{name}: output has {actual.Length} elements, expected {expected.Length}.");
        int rowSize = shape.Heads * shape.HeadDim;
        for (int e = 0; e < expected.Length; e++)
        {
            double diff = Math.Abs((double)expected[e] - actual[e]);
            if (!(diff <= Tolerance))
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"{name} does not match the {against} on {shape}: row {e / rowSize}, head {e % rowSize / shape.HeadDim}, feature {e % shape.HeadDim}: got {actual[e]}, expected {expected[e]} (|diff| {diff:G3} > {Tolerance})."));
        }
    }

    /// <summary>One query row, all heads, in double precision, straight from the definition (used only on a few
    /// rows of the real-size output, so its O(M) cost per row does not matter).</summary>
    public static void ExactRow(AttentionShape s, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int i, Span<double> result)
    {
        var (lo, hi) = FlopCounter.VisibleRange(i, s.QueryLength, s.KeyLength, s.Causal, s.Window);
        int d = s.HeadDim;
        var scores = new double[Math.Max(0, hi - lo + 1)];
        for (int h = 0; h < s.Heads; h++)
        {
            int g = h / s.GroupSize;
            var outRow = result.Slice(h * d, d);
            outRow.Clear();
            if (hi < lo) continue;
            var qRow = q.Slice((i * s.Heads + h) * d, d);
            double max = double.NegativeInfinity;
            for (int j = lo; j <= hi; j++)
            {
                var kRow = k.Slice((j * s.KvGroups + g) * d, d);
                double dot = 0;
                for (int x = 0; x < d; x++) dot += (double)qRow[x] * kRow[x];
                scores[j - lo] = dot * s.Scale;
                max = Math.Max(max, scores[j - lo]);
            }
            double sum = 0;
            for (int j = 0; j < scores.Length; j++) { scores[j] = Math.Exp(scores[j] - max); sum += scores[j]; }
            for (int j = lo; j <= hi; j++)
            {
                var vRow = v.Slice((j * s.KvGroups + g) * d, d);
                double p = scores[j - lo] / sum;
                for (int x = 0; x < d; x++) outRow[x] += p * vRow[x];
            }
        }
    }
}
