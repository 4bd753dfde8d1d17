using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Attention.Kernels;

/// <summary>
/// Hard attention (<see cref="AttentionAttribute.TopK"/>) in the generated kernels, in two passes over the key tiles.
/// The first pass computes every visible score and keeps, per row, its K best keys ordered by (score descending, key
/// ascending) (<see cref="Collect"/>). The K-th best score becomes the row's threshold and the largest key index
/// among kept keys with exactly that score its tie limit (<see cref="Finish"/>). The second pass recomputes the same
/// scores (same code, same inputs, so bit for bit the same values) and hides every key that is not kept
/// (<see cref="Apply"/>) before the online softmax.
/// </summary>
public static class TopKSelection
{
    /// <summary>Empties the per-row lists: scores -inf, keys <see cref="int.MaxValue"/>.</summary>
    /// <param name="topScores">Lists <c>[rows][k]</c>.</param>
    /// <param name="topKeys">Their key indices, <c>[rows][k]</c>.</param>
    /// <param name="count">rows × k.</param>
    public static void Reset(Span<float> topScores, Span<int> topKeys, int count)
    {
        topScores[..count].Fill(float.NegativeInfinity);
        topKeys[..count].Fill(int.MaxValue);
    }

    /// <summary>
    /// Offers a masked tile's scores to every row's list, ordered by (score descending, key ascending) whatever order the
    /// tiles come in. Hidden (-inf) scores never enter.
    /// </summary>
    /// <param name="scores">Masked scores <c>[tileKeys][tileRows]</c> (hidden keys are -inf).</param>
    /// <param name="keyTileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="k">List length (TopK).</param>
    /// <param name="topScores">The tile's lists, <c>[tileRows][k]</c>, best first.</param>
    /// <param name="topKeys">Their key indices.</param>
    /// <param name="positions">The tile's keys when gathered (key j is <c>positions[j]</c>), or a null reference (key j is <c>keyTileStart + j</c>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Collect(ref float scores, int keyTileStart, int keys, int tileRows, int k, ref float topScores, ref int topKeys, ref int positions)
    {
        bool gathered = !Unsafe.IsNullRef(ref positions);
        // Most scores do not beat their row's current K-th best: compare eight rows at a time and insert only where one does.
        if (Vector256.IsHardwareAccelerated && tileRows % Vector256<float>.Count == 0 && tileRows <= MaxVectorRows)
        {
            Span<float> worst = stackalloc float[MaxVectorRows];
            for (int r = 0; r < tileRows; r++)
                worst[r] = Unsafe.Add(ref topScores, r * k + k - 1);

            for (int j = 0; j < keys; j++)
            {
                for (int v = 0; v < tileRows; v += Vector256<float>.Count)
                {
                    Vector256<float> row = Vector256.LoadUnsafe(ref scores, (nuint)(j * tileRows + v));
                    // At least as good as the worst kept score (a tie may still win on its lower key).
                    uint candidates = Vector256.GreaterThanOrEqual(row, Vector256.LoadUnsafe(ref worst[0], (nuint)v)).ExtractMostSignificantBits();
                    while (candidates != 0)
                    {
                        int r = v + System.Numerics.BitOperations.TrailingZeroCount(candidates);
                        candidates &= candidates - 1;
                        worst[r] = Offer(ref Unsafe.Add(ref topScores, r * k), ref Unsafe.Add(ref topKeys, r * k), k,
                            Unsafe.Add(ref scores, j * tileRows + r), gathered ? Unsafe.Add(ref positions, j) : keyTileStart + j);
                    }
                }
            }

            return;
        }

        for (int r = 0; r < tileRows; r++)
        {
            ref float rowScores = ref Unsafe.Add(ref topScores, r * k);
            ref int rowKeys = ref Unsafe.Add(ref topKeys, r * k);
            float rowWorst = Unsafe.Add(ref rowScores, k - 1);
            for (int j = 0; j < keys; j++)
            {
                float score = Unsafe.Add(ref scores, j * tileRows + r);
                if (score >= rowWorst)
                    rowWorst = Offer(ref rowScores, ref rowKeys, k, score, gathered ? Unsafe.Add(ref positions, j) : keyTileStart + j);
            }
        }
    }

    private const int MaxVectorRows = 64;

    /// <summary>
    /// Puts (score, key) into a row's list when it beats the last entry in (score descending, key ascending) order,
    /// dropping that entry; returns the list's K-th best score. Hidden (-inf) scores are never kept.
    /// </summary>
    private static float Offer(ref float rowScores, ref int rowKeys, int k, float score, int key)
    {
        if (!Better(score, key, Unsafe.Add(ref rowScores, k - 1), Unsafe.Add(ref rowKeys, k - 1)) || float.IsNegativeInfinity(score))
            return Unsafe.Add(ref rowScores, k - 1);

        int position = k - 1;
        while (position > 0 && Better(score, key, Unsafe.Add(ref rowScores, position - 1), Unsafe.Add(ref rowKeys, position - 1)))
        {
            Unsafe.Add(ref rowScores, position) = Unsafe.Add(ref rowScores, position - 1);
            Unsafe.Add(ref rowKeys, position) = Unsafe.Add(ref rowKeys, position - 1);
            position--;
        }

        Unsafe.Add(ref rowScores, position) = score;
        Unsafe.Add(ref rowKeys, position) = key;
        return Unsafe.Add(ref rowScores, k - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Better(float score, int key, float otherScore, int otherKey) => score > otherScore || (score == otherScore && key < otherKey);

    /// <summary>
    /// Turns each row's list into its threshold and tie limit. A row with fewer than K visible keys keeps all of them
    /// (threshold -inf, tie limit -1, so hidden keys stay hidden).
    /// </summary>
    /// <param name="topScores">Lists <c>[rows][k]</c>.</param>
    /// <param name="topKeys">Their key indices.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="k">List length.</param>
    /// <param name="threshold">Receives the K-th best score per row.</param>
    /// <param name="tieLimit">Receives the largest kept key with exactly the threshold score.</param>
    public static void Finish(ref float topScores, ref int topKeys, int rows, int k, ref float threshold, ref int tieLimit)
    {
        for (int r = 0; r < rows; r++)
        {
            float last = Unsafe.Add(ref topScores, r * k + k - 1);
            Unsafe.Add(ref threshold, r) = last;
            Unsafe.Add(ref tieLimit, r) = float.IsNegativeInfinity(last) ? -1 : Unsafe.Add(ref topKeys, r * k + k - 1);
        }
    }

    /// <summary>Hides every key of a masked tile that is not among its row's K best.</summary>
    /// <param name="scores">Masked scores <c>[tileKeys][tileRows]</c>.</param>
    /// <param name="keyTileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="threshold">Per-row threshold.</param>
    /// <param name="tieLimit">Per-row tie limit.</param>
    /// <param name="positions">The tile's keys when gathered, or a null reference (key j is <c>keyTileStart + j</c>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ref float scores, int keyTileStart, int keys, int tileRows, ref float threshold, ref int tieLimit, ref int positions)
    {
        bool gathered = !Unsafe.IsNullRef(ref positions);
        int r0 = 0;
        if (Vector256.IsHardwareAccelerated && !gathered)
        {
            Vector256<float> hidden = Vector256.Create(float.NegativeInfinity);
            for (; r0 + Vector256<float>.Count <= tileRows; r0 += Vector256<float>.Count)
            {
                Vector256<float> rowThreshold = Vector256.LoadUnsafe(ref threshold, (nuint)r0);
                Vector256<int> rowTieLimit = Vector256.LoadUnsafe(ref tieLimit, (nuint)r0);
                for (int j = 0; j < keys; j++)
                {
                    nuint offset = (nuint)(j * tileRows + r0);
                    Vector256<float> score = Vector256.LoadUnsafe(ref scores, offset);
                    Vector256<float> kept = Vector256.GreaterThan(score, rowThreshold)
                        | (Vector256.Equals(score, rowThreshold) & Vector256.LessThanOrEqual(Vector256.Create(keyTileStart + j), rowTieLimit).AsSingle());
                    Vector256.ConditionalSelect(kept, score, hidden).StoreUnsafe(ref scores, offset);
                }
            }
        }

        for (int r = r0; r < tileRows; r++)
        {
            float rowThreshold = Unsafe.Add(ref threshold, r);
            int rowTieLimit = Unsafe.Add(ref tieLimit, r);
            for (int j = 0; j < keys; j++)
            {
                ref float score = ref Unsafe.Add(ref scores, j * tileRows + r);
                int key = gathered ? Unsafe.Add(ref positions, j) : keyTileStart + j;
                if (!(score > rowThreshold || (score == rowThreshold && key <= rowTieLimit)))
                    score = float.NegativeInfinity;
            }
        }
    }
}
