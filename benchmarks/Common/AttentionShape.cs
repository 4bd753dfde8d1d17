using System;
using System.Globalization;

namespace Attention.Benchmarks;

/// <summary>
/// One attention problem in the repository's layout: query/output [N][Heads][HeadDim], key/value
/// [M][KvGroups][HeadDim], float32, token-major. Query i sits at absolute position p = M - N + i.
/// It is the single BenchmarkDotNet parameter of every benchmark class, so the throughput columns can read the
/// work of a case straight from it.
/// </summary>
public sealed record AttentionShape(
    int Heads, int KvGroups, int HeadDim, int QueryLength, int KeyLength, bool Causal, int Window = 0, bool Quick = false) : IAttentionCase
{
    /// <summary>1 / sqrt(HeadDim), the contract's default.</summary>
    public float Scale => 1f / MathF.Sqrt(HeadDim);

    public int GroupSize => Heads / KvGroups;

    public bool IsDecode => QueryLength == 1;

    public long QueryElements => (long)QueryLength * Heads * HeadDim;

    public long KeyElements => (long)KeyLength * KvGroups * HeadDim;

    /// <summary>Number of (query, key) pairs that survive the mask, per head; counted exactly.</summary>
    public long UnmaskedPairs => FlopCounter.UnmaskedPairs(QueryLength, KeyLength, Causal, Window);

    /// <summary>Useful floating-point operations: 4 * HeadDim per unmasked query-key pair per head
    /// (2 * HeadDim for the Q·K dot product, 2 * HeadDim for the P·V update).</summary>
    public double UsefulFlops => 4.0 * HeadDim * Heads * UnmaskedPairs;

    /// <summary>Useful FLOPs of the same shape without the window (what a [DenseKernel] method computes).</summary>
    public double DenseFlops => FlopCounter.UsefulFlops(Heads, HeadDim, QueryLength, KeyLength, Causal);

    /// <summary>Bytes of K and V that a decode step must read at least once: 2 * M * KvGroups * HeadDim * 4.</summary>
    public double KvBytes => 2.0 * KeyElements * sizeof(float);

    /// <summary>Same configuration, fewer tokens: the shape the in-setup correctness check compares with the
    /// reference path. Windowed shapes keep M above the window so the window bound is exercised.</summary>
    public AttentionShape Small()
    {
        int m = Window > 0 ? Window + 67 : (IsDecode ? 77 : 67);
        int n = IsDecode ? 1 : m;
        return this with { QueryLength = n, KeyLength = m, Quick = false };
    }

    public string LayoutName => KvGroups == Heads ? $"MHA {Heads}" : KvGroups == 1 ? $"MQA {Heads}/1" : $"GQA {Heads}/{KvGroups}";

    /// <summary>Short, stable display name used in the BenchmarkDotNet tables.</summary>
    public override string ToString()
    {
        var mask = Window > 0 ? (Causal ? $"causal-w{Window}" : $"band-w{Window}") : (Causal ? "causal" : "bidir");
        var tokens = QueryLength == KeyLength
            ? KeyLength.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{QueryLength}x{KeyLength}");
        return string.Create(CultureInfo.InvariantCulture, $"{LayoutName} d{HeadDim} {tokens} {mask}");
    }
}

/// <summary>Counts the (query, key) pairs a mask keeps, row by row, exactly as the contract defines the mask.</summary>
public static class FlopCounter
{
    /// <summary>Visible key range [lo, hi] of query i (empty when hi &lt; lo).</summary>
    public static (int Lo, int Hi) VisibleRange(int i, int queryLength, int keyLength, bool causal, int window)
    {
        long p = (long)keyLength - queryLength + i;
        long lo = 0, hi = keyLength - 1;
        if (causal) hi = Math.Min(hi, p);
        if (window > 0)
        {
            lo = Math.Max(lo, p - window + 1);
            if (!causal) hi = Math.Min(hi, p + window - 1);
        }
        return ((int)Math.Clamp(lo, 0, keyLength), (int)Math.Clamp(hi, -1, keyLength - 1));
    }

    public static long UnmaskedPairs(int queryLength, int keyLength, bool causal, int window)
    {
        long total = 0;
        for (int i = 0; i < queryLength; i++)
        {
            var (lo, hi) = VisibleRange(i, queryLength, keyLength, causal, window);
            if (hi >= lo) total += hi - lo + 1;
        }
        return total;
    }

    public static double UsefulFlops(int heads, int headDim, int queryLength, int keyLength, bool causal, int window = 0)
        => 4.0 * headDim * heads * UnmaskedPairs(queryLength, keyLength, causal, window);
}
