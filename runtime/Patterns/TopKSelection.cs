using System.Runtime.CompilerServices;

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
    /// Offers a masked tile's scores to every row's list. Keys arrive in increasing order, so a score equal to the
    /// list's worst never displaces it (the kept one has the lower index).
    /// </summary>
    /// <param name="scores">Masked scores <c>[tileKeys][tileRows]</c> (hidden keys are -inf).</param>
    /// <param name="keyTileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="k">List length (TopK).</param>
    /// <param name="topScores">The tile's lists, <c>[tileRows][k]</c>, best first.</param>
    /// <param name="topKeys">Their key indices.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Collect(ref float scores, int keyTileStart, int keys, int tileRows, int k, ref float topScores, ref int topKeys)
    {
        for (int r = 0; r < tileRows; r++)
        {
            ref float rowScores = ref Unsafe.Add(ref topScores, r * k);
            ref int rowKeys = ref Unsafe.Add(ref topKeys, r * k);
            float worst = Unsafe.Add(ref rowScores, k - 1);
            for (int j = 0; j < keys; j++)
            {
                float score = Unsafe.Add(ref scores, j * tileRows + r);
                if (!(score > worst))
                    continue;

                // Insert after every kept score at least as large (those with equal scores have lower indices).
                int position = k - 1;
                while (position > 0 && Unsafe.Add(ref rowScores, position - 1) < score)
                {
                    Unsafe.Add(ref rowScores, position) = Unsafe.Add(ref rowScores, position - 1);
                    Unsafe.Add(ref rowKeys, position) = Unsafe.Add(ref rowKeys, position - 1);
                    position--;
                }

                Unsafe.Add(ref rowScores, position) = score;
                Unsafe.Add(ref rowKeys, position) = keyTileStart + j;
                worst = Unsafe.Add(ref rowScores, k - 1);
            }
        }
    }

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(ref float scores, int keyTileStart, int keys, int tileRows, ref float threshold, ref int tieLimit)
    {
        for (int r = 0; r < tileRows; r++)
        {
            float rowThreshold = Unsafe.Add(ref threshold, r);
            int rowTieLimit = Unsafe.Add(ref tieLimit, r);
            for (int j = 0; j < keys; j++)
            {
                ref float score = ref Unsafe.Add(ref scores, j * tileRows + r);
                if (!(score > rowThreshold || (score == rowThreshold && keyTileStart + j <= rowTieLimit)))
                    score = float.NegativeInfinity;
            }
        }
    }
}
