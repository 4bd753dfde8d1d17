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
        => window > 0 ? Math.Max(0, position - window + 1) : 0;

    /// <summary>One past the last key visible from <paramref name="position"/>; at most <paramref name="keyLength"/>,
    /// and at or below <see cref="VisibleStart"/> when nothing is visible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VisibleEnd(int position, int keyLength, bool causal, int window)
    {
        if (causal)
        {
            return Math.Clamp(position + 1, 0, keyLength);
        }

        return window > 0 ? Math.Clamp(position + window, 0, keyLength) : keyLength;
    }

    /// <summary>Position of query <paramref name="queryIndex"/> under bottom-right alignment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Position(int queryIndex, int queryLength, int keyLength) => keyLength - queryLength + queryIndex;
}
