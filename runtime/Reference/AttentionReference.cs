using System;
using Attention.Kernels;

namespace Attention;

/// <summary>
/// The specification of scaled dot-product attention as this library computes it, written as plainly as
/// possible: the full score matrix, double-precision arithmetic, one loop per definition. Every generated kernel
/// is tested against it; use it to check your own code or to understand exactly what a kernel computes. It
/// allocates and is slow (O(N·M) memory per call); do not use it on a hot path.
/// </summary>
/// <remarks>
/// <para>Layout: float32, row-major, token-major. <c>query</c> and <c>output</c> are
/// <c>[queryLength][Heads][HeadDim]</c>; <c>key</c> and <c>value</c> are <c>[keyLength][KvGroups][HeadDim]</c>.
/// So element (token t, head h, feature d) of <c>query</c> is at <c>(t * Heads + h) * HeadDim + d</c>.</para>
/// <para>For query head <c>h</c>, with <c>g = h / (Heads / KvGroups)</c> its key/value head:
/// <c>S[i, j] = scale · Σ_d query[i, h, d] · key[j, g, d]</c> for keys visible to query <c>i</c>
/// (see <see cref="IsVisible"/>); <c>P[i, j] = exp(S[i, j]) / Σ_j' exp(S[i, j'])</c> over visible keys only;
/// <c>output[i, h, d] = Σ_j P[i, j] · value[j, g, d]</c>. A query row with no visible key outputs zeros.</para>
/// </remarks>
public static class AttentionReference
{
    /// <summary>
    /// Computes attention for one sequence with the double-precision reference algorithm and writes the result,
    /// rounded to float32, to <paramref name="output"/>.
    /// </summary>
    /// <param name="query">Queries, <c>[queryLength][heads][headDim]</c>.</param>
    /// <param name="key">Keys, <c>[keyLength][kvGroups][headDim]</c>.</param>
    /// <param name="value">Values, <c>[keyLength][kvGroups][headDim]</c>.</param>
    /// <param name="output">Receives the result, <c>[queryLength][heads][headDim]</c>; must not overlap an input.
    /// Every element is written.</param>
    /// <param name="queryLength">Number of query tokens N. Query <c>i</c> sits at absolute position
    /// <c>keyLength - queryLength + i</c>. 0 is a valid call that does nothing.</param>
    /// <param name="keyLength">Number of key/value tokens M. 0 is valid: every row then sees no key and is zero.</param>
    /// <param name="heads">Number of query heads.</param>
    /// <param name="kvGroups">Number of key/value heads; must divide <paramref name="heads"/>. Query head <c>h</c>
    /// reads key/value head <c>h / (heads / kvGroups)</c>.</param>
    /// <param name="headDim">Number of features per head.</param>
    /// <param name="causal">When true, query position <c>p</c> sees only keys <c>j &lt;= p</c>.</param>
    /// <param name="window">0 for no window; <c>W &gt; 0</c> keeps only keys with <c>|p - j| &lt; W</c>.</param>
    /// <param name="scale">Multiplier applied to every dot product; 0 means <c>1 / sqrt(headDim)</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range (see
    /// <see cref="ForwardArguments.Validate"/>), <paramref name="window"/> is negative, or <paramref name="scale"/>
    /// is negative, NaN or infinite.</exception>
    /// <exception cref="ArgumentException">A span's length does not match its layout, <paramref name="kvGroups"/>
    /// does not divide <paramref name="heads"/>, or <paramref name="output"/> overlaps an input.</exception>
    public static void Forward(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, int heads, int kvGroups, int headDim,
        bool causal = false, int window = 0, float scale = 0f)
    {
        ForwardArguments.Validate(query, key, value, output, queryLength, keyLength, heads, kvGroups, headDim);
        if (window < 0)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"window must be 0 (no window) or positive, but is {window}.");
        if (!float.IsFinite(scale) || scale < 0f)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scale must be finite and at least 0 (0 means 1 / sqrt(headDim)), but is {scale}.");

        int n = queryLength;
        int m = keyLength;
        int headsPerGroup = heads / kvGroups;
        double softmaxScale = scale == 0f ? 1.0 / Math.Sqrt(headDim) : scale;

        // Reused for every head; each is fully rewritten per head.
        var scores = new double[n, m];
        var weights = new double[n, m];

        for (int h = 0; h < heads; h++)
        {
            int g = h / headsPerGroup;

            // S[i, j] = scale · Σ_d q[i, h, d] · k[j, g, d] for visible keys. Masked keys get -∞, so that
            // exp(-∞) = 0 removes them from the softmax below.
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < m; j++)
                {
                    if (!IsVisible(i, j, n, m, causal, window))
                    {
                        scores[i, j] = double.NegativeInfinity;
                        continue;
                    }

                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += (double)query[(i * heads + h) * headDim + d] * key[(j * kvGroups + g) * headDim + d];
                    scores[i, j] = softmaxScale * dot;
                }
            }

            // P[i, j] = exp(S[i, j] - max_j' S[i, j']) / Σ_j' exp(S[i, j'] - max_j' S[i, j']). Subtracting the row
            // maximum leaves P unchanged mathematically and keeps exp from overflowing on large scores.
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < m; j++)
                    max = Math.Max(max, scores[i, j]);

                if (double.IsNegativeInfinity(max))
                {
                    // No visible key: the softmax is undefined (0 / 0). By definition the row gets all-zero
                    // weights, so its output below is exactly zero.
                    for (int j = 0; j < m; j++)
                        weights[i, j] = 0;
                    continue;
                }

                double sum = 0;
                for (int j = 0; j < m; j++)
                {
                    weights[i, j] = Math.Exp(scores[i, j] - max);
                    sum += weights[i, j];
                }

                for (int j = 0; j < m; j++)
                    weights[i, j] /= sum;
            }

            // O[i, h, d] = Σ_j P[i, j] · v[j, g, d], rounded to float32 once at the end.
            for (int i = 0; i < n; i++)
            {
                for (int d = 0; d < headDim; d++)
                {
                    double sum = 0;
                    for (int j = 0; j < m; j++)
                        sum += weights[i, j] * value[(j * kvGroups + g) * headDim + d];
                    output[(i * heads + h) * headDim + d] = (float)sum;
                }
            }
        }
    }

    /// <summary>
    /// The masking rule, as a specification: whether query <paramref name="queryIndex"/> may attend to key
    /// <paramref name="keyIndex"/>. Query <c>i</c> of <c>N</c> sits at absolute position <c>p = M - N + i</c>
    /// among <c>M</c> keys (bottom-right alignment, so the last query lines up with the last key; with N &gt; M the
    /// first queries have negative positions). With <paramref name="causal"/>, key <c>j</c> is visible only if
    /// <c>j &lt;= p</c>. With <paramref name="window"/> <c>W &gt; 0</c>, only if <c>|p - j| &lt; W</c>. Both
    /// conditions apply when both are set; with neither, every key is visible.
    /// </summary>
    /// <param name="queryIndex">Query token index <c>i</c>, in <c>[0, queryLength)</c>.</param>
    /// <param name="keyIndex">Key token index <c>j</c>, in <c>[0, keyLength)</c>.</param>
    /// <param name="queryLength">Number of query tokens N.</param>
    /// <param name="keyLength">Number of key tokens M.</param>
    /// <param name="causal">Whether keys after the query's position are hidden.</param>
    /// <param name="window">0 for no window; otherwise the window size W.</param>
    /// <returns>True when the key contributes to the query's softmax.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index lies outside its length, or
    /// <paramref name="window"/> is negative.</exception>
    public static bool IsVisible(int queryIndex, int keyIndex, int queryLength, int keyLength, bool causal, int window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queryIndex, queryLength);
        ArgumentOutOfRangeException.ThrowIfNegative(keyIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(keyIndex, keyLength);
        ArgumentOutOfRangeException.ThrowIfNegative(window);

        // long: p - j spans up to twice the int range when N is much larger than M.
        long position = (long)keyLength - queryLength + queryIndex;
        if (causal && keyIndex > position)
            return false;
        if (window > 0 && Math.Abs(position - keyIndex) >= window)
            return false;
        return true;
    }
}
