using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;

namespace Attention.Benchmarks;

/// <summary>
/// A sparse pattern (<see cref="AttentionPattern"/>) at prefill, N = M = <see cref="Tokens"/>, the parameter of
/// <see cref="PatternBenchmarks"/>. Its useful work counts the visible (query, key) pairs exactly, pair by pair with
/// <see cref="AttentionReference.IsVisible(int, int, int, int, AttentionPattern, ReadOnlySpan{int})"/> (once per case and
/// process, cached: O(N * M), about a second at 4096 tokens).
/// </summary>
/// <param name="Name">Short pattern name shown in the tables; also selects the [Attention] class (PatternKernels.cs).</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvGroups">Key/value heads.</param>
/// <param name="HeadDim">Features per head.</param>
/// <param name="Tokens">N = M.</param>
/// <param name="Pattern">The pattern the kernel's attribute spells (checked against the reference before timing).</param>
/// <param name="GlobalCount">Longformer: global positions passed to Forward, spread evenly from position 0.</param>
/// <param name="SmallTokens">Tokens of the small shape compared element by element with the reference: past every
/// size of the pattern, so each of its bounds is exercised.</param>
/// <param name="Quick">Part of the --quick subset.</param>
public sealed record PatternCase(string Name, int Heads, int KvGroups, int HeadDim, int Tokens, AttentionPattern Pattern,
    int GlobalCount = 0, int SmallTokens = 0, bool Quick = false) : IAttentionCase
{
    private static readonly ConcurrentDictionary<PatternCase, long> PairCounts = new();

    /// <summary>The dense shape on the same tensors (same <c>Causal</c>), run by the [DenseKernel] method.</summary>
    public AttentionShape DenseShape => new(Heads, KvGroups, HeadDim, Tokens, Tokens, Pattern.Causal);

    /// <summary>Global positions for a sequence of <paramref name="keyLength"/> keys: <see cref="GlobalCount"/> positions
    /// <c>g * keyLength / GlobalCount</c> (position 0, the classifier token, first); empty without global tokens.</summary>
    public int[] GlobalPositions(int keyLength)
        => Enumerable.Range(0, Pattern.GlobalTokens ? GlobalCount : 0).Select(g => (int)((long)g * keyLength / GlobalCount)).ToArray();

    /// <summary>Visible (query, key) pairs per head, counted with the reference mask rule.</summary>
    public long VisiblePairs => PairCounts.GetOrAdd(this, static c => c.CountVisiblePairs());

    public bool IsDecode => false;

    public double UsefulFlops => 4.0 * HeadDim * Heads * VisiblePairs;

    public double DenseFlops => DenseShape.UsefulFlops;

    public double KvBytes => DenseShape.KvBytes;

    public PatternCase Small() => this with { Tokens = SmallTokens, Quick = false };

    private long CountVisiblePairs()
    {
        int[] globals = GlobalPositions(Tokens);
        long count = 0;
        for (int i = 0; i < Tokens; i++)
            for (int j = 0; j < Tokens; j++)
                if (AttentionReference.IsVisible(i, j, Tokens, Tokens, Pattern, globals)) count++;
        return count;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{DenseShape.LayoutName} d{HeadDim} {Tokens} {Name}");
}

/// <summary>What <see cref="MaskBiasCase"/> passes to Forward besides the tensors.</summary>
public enum RuntimeInput
{
    /// <summary><c>ReadOnlySpan&lt;bool&gt; mask</c>, [N][M], padding style: the last quarter of the keys false for every query.</summary>
    PaddingMask,

    /// <summary><c>ReadOnlySpan&lt;float&gt; bias</c>, [N][M] shared by every head, uniform in [-1, 1) from a fixed seed.</summary>
    Bias,
}

/// <summary>
/// A run-time boolean mask or additive bias on a dense kernel (<see cref="MaskBiasBenchmarks"/>). Useful work: the
/// pairs the kernel's pattern and the mask both keep (the bias hides nothing).
/// </summary>
public sealed record MaskBiasCase(RuntimeInput Input, int Heads, int KvGroups, int HeadDim, int Tokens, bool Causal, bool Quick = false) : IAttentionCase
{
    /// <summary>Keys a padding mask keeps: the first three quarters.</summary>
    public static int KeptKeys(int keyLength) => keyLength - keyLength / 4;

    public AttentionShape DenseShape => new(Heads, KvGroups, HeadDim, Tokens, Tokens, Causal);

    public bool[] Mask(int queryLength, int keyLength)
    {
        var mask = new bool[queryLength * keyLength];
        int kept = KeptKeys(keyLength);
        for (int i = 0; i < queryLength; i++)
            mask.AsSpan(i * keyLength, kept).Fill(true);
        return mask;
    }

    public float[] Bias(int queryLength, int keyLength, int seed = 4321)
    {
        var random = new Random(seed);
        var bias = new float[queryLength * keyLength];
        for (int e = 0; e < bias.Length; e++) bias[e] = (float)(random.NextDouble() * 2.0 - 1.0);
        return bias;
    }

    /// <summary>Visible pairs per head: the dense pattern's (N = M, so query i sits at position i), restricted to the
    /// kept keys for a mask.</summary>
    public long VisiblePairs
    {
        get
        {
            if (Input != RuntimeInput.PaddingMask) return FlopCounter.UnmaskedPairs(Tokens, Tokens, Causal, 0);
            int kept = KeptKeys(Tokens);
            long pairs = 0;
            for (int i = 0; i < Tokens; i++) pairs += Causal ? Math.Min(i, kept - 1) + 1 : kept;
            return pairs;
        }
    }

    public bool IsDecode => false;

    public double UsefulFlops => 4.0 * HeadDim * Heads * VisiblePairs;

    public double DenseFlops => DenseShape.UsefulFlops;

    public double KvBytes => DenseShape.KvBytes;

    public MaskBiasCase Small() => this with { Tokens = 67, Quick = false };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{DenseShape} {(Input == RuntimeInput.PaddingMask ? "mask-pad25%" : "bias[N][M]")}");
}

/// <summary>
/// A batch of <see cref="Count"/> prefill sequences (N = M per sequence) with fixed pseudo-random lengths in
/// [<see cref="MinLength"/>, <see cref="MaxLength"/>] from <see cref="Seed"/> (<see cref="BatchBenchmarks"/>). Useful
/// work: each sequence's own visible pairs; padding is not work.
/// </summary>
public sealed record BatchCase(int Heads, int KvGroups, int HeadDim, bool Causal, int Count, int MinLength, int MaxLength, int Seed = 7, bool Quick = false) : IAttentionCase
{
    /// <summary>The sequence lengths: <c>new Random(Seed)</c>, so the same on every run and machine.</summary>
    public int[] Lengths()
    {
        var random = new Random(Seed);
        return Enumerable.Range(0, Count).Select(_ => random.Next(MinLength, MaxLength + 1)).ToArray();
    }

    /// <summary>Cumulative offsets, Count + 1 entries from 0 (the packed layout).</summary>
    public int[] Offsets()
    {
        var lengths = Lengths();
        var offsets = new int[lengths.Length + 1];
        for (int b = 0; b < lengths.Length; b++) offsets[b + 1] = offsets[b] + lengths[b];
        return offsets;
    }

    public int TotalTokens => Lengths().Sum();

    public int LongestLength => Lengths().Max();

    public long VisiblePairs => Lengths().Sum(n => FlopCounter.UnmaskedPairs(n, n, Causal, 0));

    public bool IsDecode => false;

    public double UsefulFlops => 4.0 * HeadDim * Heads * VisiblePairs;

    public double DenseFlops => UsefulFlops;

    public double KvBytes => 2.0 * TotalTokens * KvGroups * HeadDim * sizeof(float);

    /// <summary>The per-sequence shape (for the layout name and the kernel lookup).</summary>
    public AttentionShape SequenceShape(int length) => new(Heads, KvGroups, HeadDim, length, length, Causal);

    public BatchCase Small() => this with { Count = 5, MinLength = 1, MaxLength = 70, Quick = false };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{SequenceShape(0).LayoutName} d{HeadDim} {(Causal ? "causal" : "bidir")} {Count} seqs {MinLength}-{MaxLength}");
}
