using Attention.Tests.Kernels;
using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Patterns;

/// <summary>
/// The entry points every generated class has besides the plain one: a run-time boolean mask, an additive bias
/// (shared or per head), both together, and padded and packed batches, each against the reference on random and
/// awkward inputs, plus their argument checks.
/// </summary>
public sealed class RuntimeInputsTests
{
    private const float MaxError = 2e-5f;

    public delegate void MaskForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, int n, int m, ReadOnlySpan<bool> mask);
    public delegate void BiasForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, int n, int m, ReadOnlySpan<float> bias);
    public delegate void MaskBiasForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, int n, int m, ReadOnlySpan<bool> mask, ReadOnlySpan<float> bias);
    public delegate void PaddedForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, int batch, int maxN, int maxM, ReadOnlySpan<int> n, ReadOnlySpan<int> m);
    public delegate void PackedForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, ReadOnlySpan<int> queryOffsets, ReadOnlySpan<int> keyOffsets);

    public sealed record Entry(string Name, int HeadDim, int Heads, int KvGroups, AttentionPattern Pattern,
        MaskForward Masked, BiasForward Biased, MaskBiasForward MaskedBiased, PaddedForward Padded, PackedForward Packed)
    {
        public override string ToString() => Name;
    }

    private static readonly Entry[] Entries =
    [
        new(nameof(D64GqaCausalWindow8), 64, 4, 2, new() { Causal = true, Window = 8 },
            D64GqaCausalWindow8.Forward, D64GqaCausalWindow8.Forward, D64GqaCausalWindow8.Forward, D64GqaCausalWindow8.Forward, D64GqaCausalWindow8.Forward),
        new(nameof(D128LlamaCausal), 128, 32, 8, new() { Causal = true },
            D128LlamaCausal.Forward, D128LlamaCausal.Forward, D128LlamaCausal.Forward, D128LlamaCausal.Forward, D128LlamaCausal.Forward),
        new(nameof(D40Mha), 40, 5, 5, AttentionPattern.Dense, D40Mha.Forward, D40Mha.Forward, D40Mha.Forward, D40Mha.Forward, D40Mha.Forward),
        new(nameof(D8MqaWindow1), 8, 3, 1, new() { Window = 1 },
            D8MqaWindow1.Forward, D8MqaWindow1.Forward, D8MqaWindow1.Forward, D8MqaWindow1.Forward, D8MqaWindow1.Forward),
        new(nameof(D100MqaCausal), 100, 4, 1, new() { Causal = true },
            D100MqaCausal.Forward, D100MqaCausal.Forward, D100MqaCausal.Forward, D100MqaCausal.Forward, D100MqaCausal.Forward),
        new(nameof(BigBirdD64), 64, 4, 4, new() { BlockSize = 8, RandomBlocks = 2, Seed = 7 },
            BigBirdD64.Forward, BigBirdD64.Forward, BigBirdD64.Forward, BigBirdD64.Forward, BigBirdD64.Forward),
        new(nameof(StridedCausalD64Gqa), 64, 4, 2, new() { Causal = true, Stride = 6 },
            StridedCausalD64Gqa.Forward, StridedCausalD64Gqa.Forward, StridedCausalD64Gqa.Forward, StridedCausalD64Gqa.Forward, StridedCausalD64Gqa.Forward),
        new(nameof(ChunkCausalD128Gqa), 128, 8, 2, new() { Causal = true, Chunk = 16 },
            ChunkCausalD128Gqa.Forward, ChunkCausalD128Gqa.Forward, ChunkCausalD128Gqa.Forward, ChunkCausalD128Gqa.Forward, ChunkCausalD128Gqa.Forward),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (Entry entry in Entries)
            data.Add(entry.Name);
        return data;
    }

    private static readonly (int N, int M)[] Shapes = [(1, 1), (1, 70), (4, 9), (17, 17), (40, 19), (70, 130), (150, 150)];

    /// <summary>Mask styles: random, key padding (a prefix of keys), blocks of false wide enough to empty whole tiles, all false rows, all true.</summary>
    private static bool[] MakeMask(int style, int n, int m, SplitMix64 random)
    {
        var mask = new bool[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                mask[i * m + j] = style switch
                {
                    0 => (random.NextUInt64() & 1) == 0,
                    1 => j < Math.Max(1, m * 3 / 4),
                    2 => (j / 50 + i / 7) % 2 == 0,
                    3 => i % 3 != 0,
                    _ => true,
                };
            }
        }

        return mask;
    }

    private static float[] MakeBias(int length, SplitMix64 random)
    {
        var bias = new float[length];
        for (int i = 0; i < length; i++)
            bias[i] = (random.NextUInt64() % 17) == 0 ? float.NegativeInfinity : random.NextFloat() * 3f;
        return bias;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MaskAndBiasMatchTheReference(string name)
    {
        Entry entry = Entries.Single(e => e.Name == name);
        int seed = 10;
        foreach ((int n, int m) in Shapes)
        {
            if (entry.HeadDim * entry.Heads > 1000 && n > 70)
                continue;
            var random = new SplitMix64((ulong)seed++);
            (float[] q, float[] k, float[] v) = random.NextAttentionInputs(n, m, entry.Heads, entry.KvGroups, entry.HeadDim);
            for (int style = 0; style < 5; style++)
            {
                bool[] mask = MakeMask(style, n, m, random);
                Compare(entry, q, k, v, n, m, mask, [], $"mask style {style}", (o) => entry.Masked(q, k, v, o, n, m, mask));
            }

            float[] shared = MakeBias(n * m, random);
            Compare(entry, q, k, v, n, m, [], shared, "shared bias", (o) => entry.Biased(q, k, v, o, n, m, shared));
            float[] perHead = MakeBias(entry.Heads * n * m, random);
            Compare(entry, q, k, v, n, m, [], perHead, "per-head bias", (o) => entry.Biased(q, k, v, o, n, m, perHead));
            bool[] both = MakeMask(2, n, m, random);
            Compare(entry, q, k, v, n, m, both, perHead, "mask and bias", (o) => entry.MaskedBiased(q, k, v, o, n, m, both, perHead));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void PaddedBatchMatchesTheReference(string name)
    {
        Entry entry = Entries.Single(e => e.Name == name);
        int[] queryLengths = [5, 0, 1, 33, 17, 1];
        int[] keyLengths = [5, 9, 0, 60, 17, 48];
        int maxN = 33, maxM = 61, batch = queryLengths.Length;
        var random = new SplitMix64(77);
        (float[] q, float[] k, float[] v) = random.NextAttentionInputs(batch * maxN, batch * maxM, entry.Heads, entry.KvGroups, entry.HeadDim);
        float[] expected = new float[q.Length];
        AttentionReference.ForwardPadded(q, k, v, expected, batch, maxN, maxM, queryLengths, keyLengths, entry.Heads, entry.KvGroups, entry.HeadDim, entry.Pattern);
        float[] actual = Enumerable.Repeat(float.NaN, q.Length).ToArray();
        entry.Padded(q, k, v, actual, batch, maxN, maxM, queryLengths, keyLengths);
        Tolerance.AssertClose(expected, actual, MaxError, $"{name} padded batch");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void PackedBatchMatchesTheReference(string name)
    {
        Entry entry = Entries.Single(e => e.Name == name);
        int[] queryOffsets = [0, 7, 7, 8, 58, 71, 72];
        int[] keyOffsets = [0, 7, 19, 19, 79, 92, 192];
        var random = new SplitMix64(78);
        (float[] q, float[] k, float[] v) = random.NextAttentionInputs(queryOffsets[^1], keyOffsets[^1], entry.Heads, entry.KvGroups, entry.HeadDim);
        float[] expected = new float[q.Length];
        AttentionReference.ForwardPacked(q, k, v, expected, queryOffsets, keyOffsets, entry.Heads, entry.KvGroups, entry.HeadDim, entry.Pattern);
        float[] actual = Enumerable.Repeat(float.NaN, q.Length).ToArray();
        entry.Packed(q, k, v, actual, queryOffsets, keyOffsets);
        Tolerance.AssertClose(expected, actual, MaxError, $"{name} packed batch");
    }

    [Fact]
    public void BatchResultsDoNotDependOnTheThreadCount()
    {
        Entry entry = Entries.Single(e => e.Name == nameof(D64GqaCausalWindow8));
        int[] queryOffsets = [0, 100, 101, 180, 300];
        int[] keyOffsets = [0, 120, 300, 380, 500];
        (float[] q, float[] k, float[] v) = new SplitMix64(5).NextAttentionInputs(queryOffsets[^1], keyOffsets[^1], entry.Heads, entry.KvGroups, entry.HeadDim);
        float[] single = new float[q.Length], parallel = new float[q.Length];
        int saved = AttentionThreading.MaxDegreeOfParallelism;
        try
        {
            AttentionThreading.MaxDegreeOfParallelism = 1;
            entry.Packed(q, k, v, single, queryOffsets, keyOffsets);
            AttentionThreading.MaxDegreeOfParallelism = Environment.ProcessorCount;
            entry.Packed(q, k, v, parallel, queryOffsets, keyOffsets);
        }
        finally
        {
            AttentionThreading.MaxDegreeOfParallelism = saved;
        }

        Assert.Equal(single, parallel);
    }

    [Fact]
    public void BadMaskBiasAndBatchArgumentsThrowBeforeAnyWork()
    {
        Entry entry = Entries.Single(e => e.Name == nameof(D40Mha));
        int n = 3, m = 4, rows = n * entry.Heads * entry.HeadDim, keys = m * entry.KvGroups * entry.HeadDim;
        float[] q = new float[rows], k = new float[keys], v = new float[keys];
        float[] o = Enumerable.Repeat(7f, rows).ToArray();
        void Expect(string parameter, Action call)
        {
            var exception = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(parameter, exception.ParamName);
            Assert.All(o, value => Assert.Equal(7f, value));
        }

        Expect("mask", () => entry.Masked(q, k, v, o, n, m, new bool[n * m - 1]));
        Expect("mask", () => entry.Masked(q, k, v, o, n, m, []));
        Expect("bias", () => entry.Biased(q, k, v, o, n, m, new float[n * m + 1]));
        Expect("bias", () => entry.MaskedBiased(q, k, v, o, n, m, new bool[n * m], new float[2 * n * m]));

        // Padded: 2 sequences of at most 3 queries and 2 keys (6 query rows, 4 key rows).
        float[] q2 = new float[6 * entry.Heads * entry.HeadDim], k2 = new float[4 * entry.KvGroups * entry.HeadDim], v2 = new float[k2.Length];
        o = Enumerable.Repeat(7f, q2.Length).ToArray();
        Expect("queryLengths", () => entry.Padded(q2, k2, v2, o, 2, 3, 2, [4, 1], [1, 1]));
        Expect("keyLengths", () => entry.Padded(q2, k2, v2, o, 2, 3, 2, [1, 1], [1, -1]));
        Expect("queryLengths", () => entry.Padded(q2, k2, v2, o, 2, 3, 2, [1], [1, 1]));
        Expect("query", () => entry.Padded(q2, k2, v2, o, 3, 3, 2, [1, 1, 1], [1, 1, 1]));

        // Packed: offsets must start at 0, never decrease, agree in count and end at the tensors' token counts.
        Expect("queryOffsets", () => entry.Packed(q2, k2, v2, o, [1, 6], [0, 4]));
        Expect("queryOffsets", () => entry.Packed(q2, k2, v2, o, [0, 4, 3, 6], [0, 1, 2, 4]));
        Expect("keyOffsets", () => entry.Packed(q2, k2, v2, o, [0, 6], [0, 2, 4]));
        Expect("query", () => entry.Packed(q2, k2, v2, o, [0, 5], [0, 4]));
        Expect("queryOffsets", () => entry.Packed(q2, k2, v2, o, [], []));
    }

    private static void Compare(Entry entry, float[] q, float[] k, float[] v, int n, int m, bool[] mask, float[] bias, string what, Action<float[]> run)
    {
        float[] expected = new float[q.Length];
        AttentionReference.Forward(q, k, v, expected, n, m, entry.Heads, entry.KvGroups, entry.HeadDim, entry.Pattern, 0f, default, mask, bias);
        float[] actual = Enumerable.Repeat(float.NaN, q.Length).ToArray();
        run(actual);
        Tolerance.AssertClose(expected, actual, MaxError, $"{entry.Name} N={n} M={m} {what}");
    }
}
