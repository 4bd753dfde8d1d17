using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// Which keys a query position may see, as a half-open range <c>[VisibleStart, VisibleEnd)</c>. The generated
/// kernels turn these ranges into loop bounds: a query tile visits only the key tiles that intersect the
/// range of its first and last rows, and applies an element mask only where a key tile straddles a bound.
/// </summary>
/// <remarks>
/// Positions are bottom-right aligned: query <c>i</c> of <c>N</c> sits at <c>p = M - N + i</c>, which is negative
/// when there are more queries than keys. Causal keeps <c>j &lt;= p</c>; a window <c>W &gt; 0</c> keeps
/// <c>|p - j| &lt; W</c>. With constant <c>causal</c> and <c>window</c> arguments, as in generated code, the JIT
/// folds the branches away.
/// </remarks>
public static class TileBounds
{
    /// <summary>First key visible from query position <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VisibleStart(int position, int window)
        => window > 0 ? (int)Math.Max(0L, (long)position - window + 1) : 0;

    /// <summary>One past the last key visible from <paramref name="position"/>; at most <paramref name="keyLength"/>,
    /// and at or below <see cref="VisibleStart"/> when nothing is visible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VisibleEnd(int position, int keyLength, bool causal, int window)
    {
        if (causal)
        {
            return Math.Clamp(position + 1, 0, keyLength);
        }

        // long: a window near int.MaxValue must not wrap around.
        return window > 0 ? (int)Math.Clamp((long)position + window, 0L, keyLength) : keyLength;
    }

    /// <summary>Position of query <paramref name="queryIndex"/> under bottom-right alignment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Position(int queryIndex, int queryLength, int keyLength) => keyLength - queryLength + queryIndex;

    /// <summary>
    /// Writes each row's visible key range for a query tile: row <c>r</c> is flat row <c>firstRow + r</c>, i.e. token
    /// <c>(firstRow + r) / headsPerGroup</c>. Padding rows past <paramref name="rows"/> copy the last real row's range
    /// (their results are never written out, and this keeps them as cheap as the real ones).
    /// </summary>
    /// <param name="firstRow">First flat row of the tile.</param>
    /// <param name="rows">Real rows in the tile (at least 1).</param>
    /// <param name="tileRows">Rows in the tile, padding included.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="queryLength">Query tokens.</param>
    /// <param name="keyLength">Key tokens.</param>
    /// <param name="causal">Causal mask.</param>
    /// <param name="window">Sliding window, 0 for none.</param>
    /// <param name="rowStart">Receives <see cref="VisibleStart"/> per row.</param>
    /// <param name="rowEnd">Receives <see cref="VisibleEnd"/> per row.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillRowRanges(int firstRow, int rows, int tileRows, int headsPerGroup, int queryLength, int keyLength, bool causal, int window,
        ref int rowStart, ref int rowEnd)
    {
        for (int r = 0; r < tileRows; r++)
        {
            int position = Position((firstRow + Math.Min(r, rows - 1)) / headsPerGroup, queryLength, keyLength);
            Unsafe.Add(ref rowStart, r) = VisibleStart(position, window);
            Unsafe.Add(ref rowEnd, r) = VisibleEnd(position, keyLength, causal, window);
        }
    }
}
