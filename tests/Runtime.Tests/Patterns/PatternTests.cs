using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Patterns;

/// <summary>
/// Every pattern kernel against <see cref="AttentionReference"/> on random data: one token, decode, lengths off every
/// tile, more queries than keys, windows and blocks wider than the sequence, and (Longformer) global tokens at both
/// ends, in the middle, none, and every position. Runs on every instruction-set tier (.ci/run).
/// </summary>
public sealed class PatternTests
{
    private const float MaxError = 2e-5f;

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (PatternCase kernel in PatternConfigurations.All)
            data.Add(kernel.Name);
        return data;
    }

    private static IEnumerable<(int QueryLength, int KeyLength)> Shapes(int headDim)
    {
        yield return (1, 1);
        yield return (1, 3);
        yield return (1, 70);
        yield return (4, 4);
        yield return (5, 29);
        yield return (17, 17);
        yield return (40, 19);
        yield return (3, 0);
        int longLength = headDim <= 128 ? 211 : 97;
        yield return (longLength, longLength);
        yield return (longLength / 4, longLength);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceOnRandomShapes(string name)
    {
        PatternCase kernel = PatternConfigurations.All.Single(k => k.Name == name);
        int seed = 1;
        foreach ((int n, int m) in Shapes(kernel.HeadDim))
        {
            if (kernel.ForwardWithGlobals is null)
            {
                Check(kernel, n, m, seed++, []);
                continue;
            }

            foreach (int[] globals in GlobalSets(m, seed))
                Check(kernel, n, m, seed++, globals);
        }
    }

    [Fact]
    public void RandomPatternKernelsAndShapes()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 40; trial++)
        {
            PatternCase kernel = PatternConfigurations.All[random.Next(PatternConfigurations.All.Length)];
            int m = random.Next(0, kernel.HeadDim > 128 ? 70 : 180);
            int n = random.Next(0, 4) == 0 ? 1 : random.Next(1, m + 10);
            int[] globals = kernel.ForwardWithGlobals is null ? [] : Enumerable.Range(0, m).Where(_ => random.Next(8) == 0).ToArray();
            Check(kernel, n, m, 500 + trial, globals);
        }
    }

    [Fact]
    public void BigBirdRandomBlocksAreReproducibleDistinctAndOutsideTheRestOfThePattern()
    {
        Span<int> first = stackalloc int[4];
        Span<int> second = stackalloc int[4];
        for (int queryBlock = 0; queryBlock < 40; queryBlock++)
        {
            int count = Attention.Kernels.BigBirdLayout.RandomKeyBlocks(11, queryBlock, 40, 4, first);
            Assert.Equal(count, Attention.Kernels.BigBirdLayout.RandomKeyBlocks(11, queryBlock, 40, 4, second));
            Assert.Equal(4, count);
            Assert.True(first.SequenceEqual(second));
            for (int i = 0; i < count; i++)
            {
                Assert.True(Math.Abs(first[i] - queryBlock) > 1 && first[i] != 0 && first[i] != 39);
                Assert.True(i == 0 || first[i] > first[i - 1]);
            }
        }

        // Few candidates: all of them. A different seed: a different draw somewhere.
        Assert.Equal(1, Attention.Kernels.BigBirdLayout.RandomKeyBlocks(3, 1, 5, 4, first));
        Assert.Equal(3, first[0]);
        bool differs = false;
        for (int queryBlock = 0; queryBlock < 40 && !differs; queryBlock++)
        {
            Attention.Kernels.BigBirdLayout.RandomKeyBlocks(11, queryBlock, 40, 4, first);
            Attention.Kernels.BigBirdLayout.RandomKeyBlocks(12, queryBlock, 40, 4, second);
            differs = !first.SequenceEqual(second);
        }

        Assert.True(differs);
    }

    [Fact]
    public void HardAttentionBreaksTiesTowardTheLowerKeyIndex()
    {
        // Every key equal: every score ties, so TopK = 1 keeps key 0 and each output is value[0]; the causal TopK = 5
        // kernel keeps keys 0..4 of those it sees, so its outputs average the first min(5, p + 1) values.
        int n = 70, m = 70;
        float[] key = new float[m * 2 * 64];
        var random = new SplitMix64(3);
        float[] row = new float[64];
        random.Fill(row);
        for (int j = 0; j < m * 2; j++)
            row.CopyTo(key, j * 64);
        float[] value = new float[key.Length];
        random.Fill(value);
        float[] query = new float[n * 4 * 64];
        random.Fill(query);
        float[] output = new float[query.Length];
        TopK1ArgmaxD64Gqa.Forward(query, key, value, output, n, m);
        for (int i = 0; i < n; i++)
        {
            for (int h = 0; h < 4; h++)
            {
                int g = h / 2;
                Assert.True(output.AsSpan((i * 4 + h) * 64, 64).SequenceEqual(value.AsSpan(g * 64, 64)), $"token {i} head {h}");
            }
        }

        float[] key40 = new float[m * 40];
        float[] row40 = new float[40];
        random.Fill(row40);
        for (int j = 0; j < m; j++)
            row40.CopyTo(key40, j * 40);
        float[] value40 = new float[key40.Length];
        random.Fill(value40);
        float[] query40 = new float[n * 2 * 40];
        random.Fill(query40);
        float[] output40 = new float[query40.Length];
        TopK5CausalD40Mqa.Forward(query40, key40, value40, output40, n, m);
        for (int i = 0; i < n; i++)
        {
            int kept = Math.Min(5, i + 1);
            for (int d = 0; d < 40; d++)
            {
                double mean = 0;
                for (int j = 0; j < kept; j++)
                    mean += value40[j * 40 + d];
                Assert.True(Math.Abs(mean / kept - output40[(i * 2 + 1) * 40 + d]) < 1e-5, $"token {i} feature {d}");
            }
        }
    }

    [Fact]
    public void GlobalPositionsAreValidatedBeforeAnyWork()
    {
        PatternCase kernel = PatternConfigurations.All.Single(k => k.Name == nameof(LongformerD64Gqa));
        int n = 6, m = 6;
        float[] query = new float[n * 4 * 64], key = new float[m * 2 * 64], value = new float[m * 2 * 64];
        float[] output = Enumerable.Repeat(7f, n * 4 * 64).ToArray();
        foreach (int[] bad in new[] { new[] { 6 }, new[] { -1 }, new[] { 2, 2 }, new[] { 3, 1 } })
        {
            var exception = Assert.ThrowsAny<ArgumentException>(() => kernel.ForwardWithGlobals!(query, key, value, output, n, m, bad));
            Assert.Equal("globalPositions", exception.ParamName);
            Assert.All(output, v => Assert.Equal(7f, v));
        }
    }

    [Fact]
    public void InvalidPatternsAreRejectedByTheReference()
    {
        float[] none = [];
        foreach (AttentionPattern bad in new AttentionPattern[]
        {
            new() { Window = 3, WindowLeft = 1 }, new() { Causal = true, WindowRight = 0 }, new() { GlobalTokens = true },
            new() { BlockSize = 4, Stride = 2 }, new() { Stride = 4, Window = 2 }, new() { RandomBlocks = 1 }, new() { FixedSummary = 2 },
            new() { FixedBlock = 4, FixedSummary = 5 }, new() { Chunk = -1 }, new() { WindowLeft = -2 },
        })
        {
            var exception = Assert.Throws<ArgumentException>(() => AttentionReference.Forward(none, none, none, new float[0], 0, 0, 1, 1, 1, bad));
            Assert.Equal("pattern", exception.ParamName);
        }
    }

    /// <summary>Global sets for a key length: none, both ends, the middle, every other position, everything.</summary>
    private static IEnumerable<int[]> GlobalSets(int keyLength, int seed)
    {
        yield return [];
        if (keyLength == 0)
            yield break;
        yield return keyLength == 1 ? [0] : [0, keyLength - 1];
        yield return [keyLength / 2];
        var random = new Random(seed);
        yield return Enumerable.Range(0, keyLength).Where(_ => random.Next(3) == 0).ToArray();
        if (keyLength <= 40)
            yield return Enumerable.Range(0, keyLength).ToArray();
    }

    private static void Check(PatternCase kernel, int n, int m, int seed, int[] globals)
    {
        (float[] query, float[] key, float[] value) = new SplitMix64((ulong)seed).NextAttentionInputs(n, m, kernel.Heads, kernel.KvGroups, kernel.HeadDim);
        float[] expected = new float[query.Length];
        AttentionReference.Forward(query, key, value, expected, n, m, kernel.Heads, kernel.KvGroups, kernel.HeadDim, kernel.Pattern, 0f, globals);
        float[] actual = Enumerable.Repeat(float.NaN, query.Length).ToArray();
        if (kernel.ForwardWithGlobals is null)
            kernel.Forward(query, key, value, actual, n, m);
        else
            kernel.ForwardWithGlobals(query, key, value, actual, n, m, globals);
        Tolerance.AssertClose(expected, actual, MaxError, $"{kernel.Name} N={n} M={m} seed={seed} globals=[{string.Join(",", globals)}]");
    }
}
