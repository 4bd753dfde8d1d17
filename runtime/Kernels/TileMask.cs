using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// Element mask for the key tiles that straddle a row's visible range. Interior tiles never come here:
/// the generated kernel decides per tile whether any row needs a mask.
/// </summary>
public static class TileMask
{
    /// <summary>
    /// Sets to -inf the scores of one row of a key tile whose keys lie outside <c>[visibleStart, visibleEnd)</c>.
    /// </summary>
    /// <param name="scores">First score of the row; the tile covers keys <c>tileStart .. tileStart + tileKeys - 1</c>.</param>
    /// <param name="tileStart">Absolute index of the tile's first key.</param>
    /// <param name="tileKeys">Number of score slots in the row (the tile width, padded keys included).</param>
    /// <param name="visibleStart">First key the row may see.</param>
    /// <param name="visibleEnd">One past the last key the row may see (padding beyond the sequence is past it).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyRow(ref float scores, int tileStart, int tileKeys, int visibleStart, int visibleEnd)
    {
        int keep = Math.Clamp(visibleStart - tileStart, 0, tileKeys);
        int stop = Math.Clamp(visibleEnd - tileStart, keep, tileKeys);
        for (int j = 0; j < keep; j++)
        {
            Unsafe.Add(ref scores, j) = float.NegativeInfinity;
        }

        for (int j = stop; j < tileKeys; j++)
        {
            Unsafe.Add(ref scores, j) = float.NegativeInfinity;
        }
    }
}
