using System;
using System.Collections.Generic;
using System.Linq;
using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests;

/// <summary>
/// Ties <see cref="AttentionReference"/> to PyTorch through the golden cases, and checks properties of attention
/// that hold whatever the data: these are what make the reference trustworthy as the kernels' specification.
/// </summary>
public sealed class ReferenceGoldenTests
{
    [Theory, MemberData(nameof(GoldenCase.All), MemberType = typeof(GoldenCase))]
    public void Reference_matches_golden_output(string name)
    {
        var c = GoldenCase.Load(name);
        var actual = new float[c.QueryElements];
        for (int b = 0; b < c.Batch; b++)
        {
            AttentionReference.Forward(
                c.QueryOf(b), c.KeyOf(b), c.ValueOf(b), actual,
                c.QueryLength, c.KeyLength, c.Heads, c.KvGroups, c.HeadDim, c.Causal, c.Window);
            Tolerance.AssertClose(c.OutputOf(b), actual, 2e-5f, $"{name} batch {b}");
        }
    }

    // Regenerating the inputs from Seed in the documented order (q of all batches, then k, then v) proves the
    // loader reads the files in the layout the README states.
    [Theory, MemberData(nameof(GoldenCase.All), MemberType = typeof(GoldenCase))]
    public void Golden_inputs_regenerate_from_seed(string name)
    {
        var c = GoldenCase.Load(name);
        var random = new SplitMix64(c.Seed);
        foreach (var (tensorName, stored) in new[] { ("q", c.Query), ("k", c.Key), ("v", c.Value) })
        {
            var regenerated = new float[stored.Length];
            random.Fill(regenerated);
            for (int i = 0; i < stored.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(stored[i]) != BitConverter.SingleToInt32Bits(regenerated[i]))
                    Assert.Fail($"{name} {tensorName}.bin differs from splitmix64({c.Seed}) at index {i}: {stored[i]} vs {regenerated[i]}.");
            }
        }
    }

    [Fact]
    public void Identical_keys_give_the_mean_of_the_values()
    {
        // Equal keys give equal scores, so the softmax is uniform over the visible keys whatever the queries.
        const int n = 3, m = 5, heads = 4, kvGroups = 2, headDim = 6;
        var query = RandomTensor(1, n * heads * headDim);
        var keyRow = RandomTensor(2, kvGroups * headDim);
        var key = Enumerable.Range(0, m).SelectMany(_ => keyRow).ToArray();
        var value = RandomTensor(3, m * kvGroups * headDim);
        var output = new float[n * heads * headDim];

        AttentionReference.Forward(query, key, value, output, n, m, heads, kvGroups, headDim);

        var expected = new float[output.Length];
        for (int i = 0; i < n; i++)
        for (int h = 0; h < heads; h++)
        for (int d = 0; d < headDim; d++)
        {
            int g = h / (heads / kvGroups);
            expected[(i * heads + h) * headDim + d] =
                (float)Enumerable.Range(0, m).Average(j => (double)value[(j * kvGroups + g) * headDim + d]);
        }
        Tolerance.AssertClose(expected, output, 1e-6f, "identical keys");
    }

    [Fact]
    public void A_single_visible_key_returns_its_value_exactly()
    {
        // Window 1 leaves each query only the key at its own position: weight exp(0) / exp(0) = 1 exactly.
        // Four query heads over two key/value heads also pins down the head mapping g = h / 2.
        const int n = 4, m = 6, heads = 4, kvGroups = 2, headDim = 5;
        var query = RandomTensor(4, n * heads * headDim);
        var key = RandomTensor(5, m * kvGroups * headDim);
        var value = RandomTensor(6, m * kvGroups * headDim);
        var output = new float[n * heads * headDim];

        AttentionReference.Forward(query, key, value, output, n, m, heads, kvGroups, headDim, window: 1);

        for (int i = 0; i < n; i++)
        for (int h = 0; h < heads; h++)
        {
            int position = m - n + i;
            var expected = value.AsSpan((position * kvGroups + h / 2) * headDim, headDim).ToArray();
            var actual = output.AsSpan((i * heads + h) * headDim, headDim).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    public static IEnumerable<object[]> VisibilityTables() => new[]
    {
        // Rows are queries, columns keys; 'x' = visible. Positions p = M - N + i.
        new object[] { 4, 4, true, 0, new[] { "x...", "xx..", "xxx.", "xxxx" } },            // causal prefill
        new object[] { 2, 5, true, 0, new[] { "xxxx.", "xxxxx" } },                           // chunk: p = 3, 4
        new object[] { 5, 3, true, 0, new[] { "...", "...", "x..", "xx.", "xxx" } },          // N > M: p = -2 .. 2
        new object[] { 5, 3, false, 0, new[] { "xxx", "xxx", "xxx", "xxx", "xxx" } },         // no mask at all
        new object[] { 4, 4, false, 2, new[] { "xx..", "xxx.", ".xxx", "..xx" } },            // band of 2W - 1
        new object[] { 3, 5, true, 2, new[] { ".xx..", "..xx.", "...xx" } },                  // causal window: self + 1 before
        new object[] { 5, 3, false, 2, new[] { "...", "x..", "xx.", "xxx", ".xx" } },         // window, N > M
        new object[] { 1, 6, true, 3, new[] { "...xxx" } },                                   // decode, last W keys
    };

    [Theory, MemberData(nameof(VisibilityTables))]
    public void Visibility_follows_positions_causal_and_window(int n, int m, bool causal, int window, string[] table)
    {
        var actual = Enumerable.Range(0, n)
            .Select(i => new string(Enumerable.Range(0, m)
                .Select(j => AttentionReference.IsVisible(i, j, n, m, causal, window) ? 'x' : '.').ToArray()))
            .ToArray();
        Assert.Equal(table, actual);
    }

    [Fact]
    public void Rows_with_no_visible_key_are_exactly_zero_and_others_are_written()
    {
        // N > M with causal: queries 0 and 1 sit at positions -2 and -1, before every key.
        const int n = 5, m = 3, heads = 2, kvGroups = 1, headDim = 4;
        var query = RandomTensor(7, n * heads * headDim);
        var key = RandomTensor(8, m * kvGroups * headDim);
        var value = RandomTensor(9, m * kvGroups * headDim);
        var output = Enumerable.Repeat(float.NaN, n * heads * headDim).ToArray();

        AttentionReference.Forward(query, key, value, output, n, m, heads, kvGroups, headDim, causal: true);

        int rowElements = heads * headDim;
        Assert.All(output.AsSpan(0, 2 * rowElements).ToArray(), x => Assert.Equal(0, BitConverter.SingleToInt32Bits(x)));
        Assert.All(output.AsSpan(2 * rowElements).ToArray(), x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Masked_keys_do_not_influence_the_output()
    {
        // Changing a key and value that IsVisible hides from every query must leave the output bit-identical.
        const int n = 3, m = 6, heads = 2, kvGroups = 2, headDim = 4;
        var query = RandomTensor(10, n * heads * headDim);
        var key = RandomTensor(11, m * kvGroups * headDim);
        var value = RandomTensor(12, m * kvGroups * headDim);
        var before = new float[n * heads * headDim];
        AttentionReference.Forward(query, key, value, before, n, m, heads, kvGroups, headDim, causal: true, window: 2);

        // Positions are 3, 4, 5 with a causal window of 2, so keys 0 and 1 are outside every window.
        for (int e = 0; e < 2 * kvGroups * headDim; e++)
        {
            key[e] = 1000f;
            value[e] = -1000f;
        }
        var after = new float[before.Length];
        AttentionReference.Forward(query, key, value, after, n, m, heads, kvGroups, headDim, causal: true, window: 2);

        Assert.Equal(before, after);
    }

    [Fact]
    public void Huge_scores_stay_finite_and_within_the_value_range()
    {
        // Entries of magnitude 100 over 16 features give |score| up to 1e4 · 16 / 4 = 4e4, far past exp's float
        // range; max subtraction must keep the softmax finite. The output is a convex combination of values, so
        // each element lies between that feature's smallest and largest value.
        const int n = 8, m = 8, heads = 2, kvGroups = 1, headDim = 16;
        var query = RandomTensor(13, n * heads * headDim).Select(x => 100 * x).ToArray();
        var key = RandomTensor(14, m * kvGroups * headDim).Select(x => 100 * x).ToArray();
        var value = RandomTensor(15, m * kvGroups * headDim);
        var output = new float[n * heads * headDim];

        AttentionReference.Forward(query, key, value, output, n, m, heads, kvGroups, headDim);

        for (int e = 0; e < output.Length; e++)
        {
            int d = e % headDim;
            var feature = Enumerable.Range(0, m).Select(j => value[j * headDim + d]).ToArray();
            Assert.True(float.IsFinite(output[e]), $"output[{e}] = {output[e]}");
            Assert.InRange(output[e], feature.Min(), feature.Max());
        }
    }

    private static float[] RandomTensor(ulong seed, int count)
    {
        var values = new float[count];
        new SplitMix64(seed).Fill(values);
        return values;
    }
}
