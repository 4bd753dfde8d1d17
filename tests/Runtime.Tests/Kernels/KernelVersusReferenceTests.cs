using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Every generated kernel against <see cref="AttentionReference"/> on random data and awkward shapes: one
/// token, decode against a cache, lengths that are no multiple of any tile, more queries than keys (rows
/// that see nothing), no keys at all, and sequences long enough to cross many key tiles and windows.
/// The suite runs once per instruction-set tier (see .ci/run), so each shape is checked on every tier.
/// </summary>
public sealed class KernelVersusReferenceTests
{
    // float32 kernels with online softmax against a double reference: a few ulps of the outputs (|o| <= 1).
    private const float MaxError = 2e-5f;

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (KernelCase kernel in KernelConfigurations.All)
        {
            data.Add(kernel.Name);
        }

        return data;
    }

    /// <summary>(queryLength, keyLength) pairs: decode, prefill, chunked prefill, N &gt; M, and tile edges.</summary>
    private static IEnumerable<(int QueryLength, int KeyLength)> Shapes(int headDim)
    {
        yield return (1, 1);
        yield return (1, 70);
        yield return (2, 2);
        yield return (5, 5);
        yield return (13, 13);
        yield return (37, 37);
        yield return (13, 90);
        yield return (40, 19);
        yield return (3, 0);
        // Long enough for several key tiles of every tier and for items with several query tiles.
        int longLength = headDim <= 128 ? 203 : 77;
        yield return (longLength, longLength);
        yield return (longLength / 3, longLength);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceOnRandomShapes(string name)
    {
        KernelCase kernel = KernelConfigurations.All.Single(k => k.Name == name);
        int seed = 1;
        foreach ((int queryLength, int keyLength) in Shapes(kernel.HeadDim))
        {
            CheckAgainstReference(kernel, queryLength, keyLength, seed++, inputScale: 1f, MaxError);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void LargeLogitsStayFiniteAndMatch(string name)
    {
        KernelCase kernel = KernelConfigurations.All.Single(k => k.Name == name);
        // Inputs scaled so that scores reach about 1e4: the softmax must subtract the running maximum,
        // never overflow, and still agree with the reference.
        float inputScale = MathF.Sqrt(1e4f * MathF.Sqrt(kernel.HeadDim) / kernel.HeadDim) * 1.7f;
        float[] output = CheckAgainstReference(kernel, 29, 41, seed: 99, inputScale, tolerance: 1e-3f);
        Assert.All(output, value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void RandomConfigurationsAndShapes()
    {
        var random = new Random(20261123);
        for (int trial = 0; trial < 60; trial++)
        {
            KernelCase kernel = KernelConfigurations.All[random.Next(KernelConfigurations.All.Length)];
            int keyLength = random.Next(0, kernel.HeadDim > 128 ? 60 : 160);
            int queryLength = random.Next(0, 4) == 0 ? 1 : random.Next(1, keyLength + 20);
            CheckAgainstReference(kernel, queryLength, keyLength, seed: 1000 + trial, inputScale: 1f, MaxError);
        }
    }

    [Fact]
    public void ZeroQueryTokensIsANoOp()
    {
        KernelCase kernel = KernelConfigurations.Find(64, 4, 4, true, 0);
        float[] key = Random(5 * kernel.KvGroups * kernel.HeadDim, 3);
        kernel.Forward([], key, key.AsSpan().ToArray(), [], 0, 5);
    }

    internal static float[] CheckAgainstReference(KernelCase kernel, int queryLength, int keyLength, int seed, float inputScale, float tolerance)
    {
        float[] query = Random(queryLength * kernel.Heads * kernel.HeadDim, seed, inputScale);
        float[] key = Random(keyLength * kernel.KvGroups * kernel.HeadDim, seed + 7919, inputScale);
        float[] value = Random(keyLength * kernel.KvGroups * kernel.HeadDim, seed + 15485863, 1f);
        float[] expected = new float[query.Length];
        float[] actual = new float[query.Length];
        actual.AsSpan().Fill(float.NaN);

        AttentionReference.Forward(query, key, value, expected, queryLength, keyLength,
            kernel.Heads, kernel.KvGroups, kernel.HeadDim, kernel.Causal, kernel.Window, kernel.Scale);
        kernel.Forward(query, key, value, actual, queryLength, keyLength);

        TestData.Tolerance.AssertClose(expected, actual, tolerance, $"{kernel.Name} N={queryLength} M={keyLength} seed={seed}");
        return actual;
    }

    internal static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }
}
