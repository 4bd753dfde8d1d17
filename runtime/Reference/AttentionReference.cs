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
/// (see <see cref="IsVisible(int, int, int, int, AttentionPattern, ReadOnlySpan{int})"/>); <c>P[i, j] = exp(S[i, j]) / Σ_j' exp(S[i, j'])</c> over visible keys only;
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
        if (window < 0)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"window must be 0 (no window) or positive, but is {window}.");
        Forward(query, key, value, output, queryLength, keyLength, heads, kvGroups, headDim, new AttentionPattern { Causal = causal, Window = window }, scale);
    }

    /// <summary>
    /// Computes attention for one sequence under any <see cref="AttentionPattern"/>, optionally with global
    /// positions, a boolean mask and an additive bias, with the double-precision reference algorithm.
    /// </summary>
    /// <param name="query">Queries, <c>[queryLength][heads][headDim]</c>.</param>
    /// <param name="key">Keys, <c>[keyLength][kvGroups][headDim]</c>.</param>
    /// <param name="value">Values, <c>[keyLength][kvGroups][headDim]</c>.</param>
    /// <param name="output">Receives the result, <c>[queryLength][heads][headDim]</c>.</param>
    /// <param name="queryLength">Number of query tokens N.</param>
    /// <param name="keyLength">Number of key tokens M.</param>
    /// <param name="heads">Number of query heads.</param>
    /// <param name="kvGroups">Number of key/value heads.</param>
    /// <param name="headDim">Number of features per head.</param>
    /// <param name="pattern">Which keys each query sees (<see cref="IsVisible(int, int, int, int, AttentionPattern, ReadOnlySpan{int})"/>).</param>
    /// <param name="scale">Multiplier applied to every dot product; 0 means <c>1 / sqrt(headDim)</c>.</param>
    /// <param name="globalPositions">With <see cref="AttentionPattern.GlobalTokens"/>: sorted distinct positions in
    /// <c>[0, keyLength)</c>; must be empty otherwise.</param>
    /// <param name="mask">Empty for none, or <c>[queryLength][keyLength]</c>: key j takes part in query i's softmax only
    /// where <c>mask[i * keyLength + j]</c> is true (and the pattern shows it).</param>
    /// <param name="bias">Empty for none, or <c>[queryLength][keyLength]</c> (every head) or <c>[heads][queryLength][keyLength]</c>:
    /// added to the scaled score of every visible pair before the softmax. Finite values or -infinity.</param>
    /// <exception cref="ArgumentException">A size, span length or pattern property is invalid.</exception>
    public static void Forward(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, int heads, int kvGroups, int headDim,
        AttentionPattern pattern, float scale = 0f,
        ReadOnlySpan<int> globalPositions = default, ReadOnlySpan<bool> mask = default, ReadOnlySpan<float> bias = default)
    {
        ForwardArguments.Validate(query, key, value, output, queryLength, keyLength, heads, kvGroups, headDim);
        ArgumentNullException.ThrowIfNull(pattern);
        pattern.Validate(nameof(pattern));
        if (!float.IsFinite(scale) || scale < 0f)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"scale must be finite and at least 0 (0 means 1 / sqrt(headDim)), but is {scale}.");
        if (pattern.GlobalTokens)
            ForwardArguments.ValidateGlobalPositions(globalPositions, keyLength);
        else if (!globalPositions.IsEmpty)
            throw new ArgumentException("globalPositions must be empty unless the pattern has GlobalTokens.", nameof(globalPositions));
        if (!mask.IsEmpty)
            ForwardArguments.ValidateMask(mask, queryLength, keyLength);
        if (!bias.IsEmpty)
            ForwardArguments.ValidateBias(bias, queryLength, keyLength, heads);

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
                    if (!IsVisible(i, j, n, m, pattern, globalPositions) || (!mask.IsEmpty && !mask[i * m + j]))
                    {
                        scores[i, j] = double.NegativeInfinity;
                        continue;
                    }

                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += (double)query[(i * heads + h) * headDim + d] * key[(j * kvGroups + g) * headDim + d];
                    scores[i, j] = softmaxScale * dot;
                    if (!bias.IsEmpty)
                        scores[i, j] += bias[(bias.Length == n * m ? 0 : h * n * m) + i * m + j];
                }
            }

            // Hard attention: only each row's TopK best keys (score descending, then key ascending) stay visible.
            if (pattern.TopK > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    var ranked = new List<(double Score, int Key)>();
                    for (int j = 0; j < m; j++)
                    {
                        if (!double.IsNegativeInfinity(scores[i, j]))
                            ranked.Add((scores[i, j], j));
                    }

                    ranked.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Key.CompareTo(b.Key));
                    for (int r = pattern.TopK; r < ranked.Count; r++)
                        scores[i, ranked[r].Key] = double.NegativeInfinity;
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
    /// Reference for a padded batch: sequence <c>b</c>'s queries are rows <c>[0, queryLengths[b])</c> of
    /// <c>query[b]</c> (<c>[batch][maxQueryLength][heads][headDim]</c>), its keys and values rows <c>[0, keyLengths[b])</c> of
    /// <c>key[b]</c>/<c>value[b]</c> (<c>[batch][maxKeyLength][kvGroups][headDim]</c>). Each sequence is an independent
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, AttentionPattern, float, ReadOnlySpan{int}, ReadOnlySpan{bool}, ReadOnlySpan{float})"/>
    /// call with its own lengths (bottom-right alignment per sequence); padded keys are never seen and padded
    /// query rows of <paramref name="output"/> are zeros.
    /// </summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="output">Receives the result, layout of <paramref name="query"/>.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="maxQueryLength">Query rows stored per sequence.</param>
    /// <param name="maxKeyLength">Key rows stored per sequence.</param>
    /// <param name="queryLengths">Valid query tokens per sequence.</param>
    /// <param name="keyLengths">Valid key tokens per sequence.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="pattern">The pattern, applied to each sequence.</param>
    /// <param name="scale">Score multiplier; 0 means <c>1 / sqrt(headDim)</c>.</param>
    /// <exception cref="ArgumentException">See <see cref="BatchArguments.ValidatePadded"/>.</exception>
    public static void ForwardPadded(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int batch, int maxQueryLength, int maxKeyLength, ReadOnlySpan<int> queryLengths, ReadOnlySpan<int> keyLengths,
        int heads, int kvGroups, int headDim, AttentionPattern pattern, float scale = 0f)
    {
        BatchArguments.ValidatePadded(query, key, value, output, batch, maxQueryLength, maxKeyLength, queryLengths, keyLengths, heads, kvGroups, headDim);
        output.Clear();
        int queryStride = maxQueryLength * heads * headDim;
        int keyStride = maxKeyLength * kvGroups * headDim;
        for (int b = 0; b < batch; b++)
        {
            int n = queryLengths[b];
            int m = keyLengths[b];
            Forward(query.Slice(b * queryStride, n * heads * headDim), key.Slice(b * keyStride, m * kvGroups * headDim), value.Slice(b * keyStride, m * kvGroups * headDim),
                output.Slice(b * queryStride, n * heads * headDim), n, m, heads, kvGroups, headDim, pattern, scale);
        }
    }

    /// <summary>
    /// Reference for a packed variable-length batch: sequence <c>b</c> is query tokens <c>[queryOffsets[b], queryOffsets[b + 1])</c>
    /// and key/value tokens <c>[keyOffsets[b], keyOffsets[b + 1])</c> of the packed tensors, each an independent call.
    /// </summary>
    /// <param name="query">Queries <c>[queryOffsets[batch]][heads][headDim]</c>.</param>
    /// <param name="key">Keys <c>[keyOffsets[batch]][kvGroups][headDim]</c>.</param>
    /// <param name="value">Values, as keys.</param>
    /// <param name="output">Receives the result, as queries.</param>
    /// <param name="queryOffsets">Cumulative query offsets, batch + 1 entries from 0.</param>
    /// <param name="keyOffsets">Cumulative key offsets, batch + 1 entries from 0.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="pattern">The pattern, applied to each sequence.</param>
    /// <param name="scale">Score multiplier; 0 means <c>1 / sqrt(headDim)</c>.</param>
    /// <exception cref="ArgumentException">See <see cref="BatchArguments.ValidatePacked"/>.</exception>
    public static void ForwardPacked(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        ReadOnlySpan<int> queryOffsets, ReadOnlySpan<int> keyOffsets, int heads, int kvGroups, int headDim, AttentionPattern pattern, float scale = 0f)
    {
        BatchArguments.ValidatePacked(query, key, value, output, queryOffsets, keyOffsets, heads, kvGroups, headDim);
        for (int b = 0; b + 1 < queryOffsets.Length; b++)
        {
            int n = queryOffsets[b + 1] - queryOffsets[b];
            int m = keyOffsets[b + 1] - keyOffsets[b];
            int q0 = queryOffsets[b] * heads * headDim;
            int k0 = keyOffsets[b] * kvGroups * headDim;
            Forward(query.Slice(q0, n * heads * headDim), key.Slice(k0, m * kvGroups * headDim), value.Slice(k0, m * kvGroups * headDim),
                output.Slice(q0, n * heads * headDim), n, m, heads, kvGroups, headDim, pattern, scale);
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

        return IsVisible(queryIndex, keyIndex, queryLength, keyLength, new AttentionPattern { Causal = causal, Window = window });
    }

    /// <summary>
    /// The masking rule for any <see cref="AttentionPattern"/>, as a specification. With <c>p = M - N + i</c> the query's
    /// position and <c>j</c> the key's, in this order:
    /// <list type="number">
    /// <item>Causal: hidden when <c>j &gt; p</c>.</item>
    /// <item>GlobalTokens: visible when <c>p</c> or <c>j</c> is one of <paramref name="globalPositions"/>.</item>
    /// <item>Window W: hidden when <c>|p - j| &gt;= W</c>. WindowLeft L: hidden when <c>j &lt; p - L</c>. WindowRight R:
    /// hidden when <c>j &gt; p + R</c>. Chunk C: hidden when <c>floor(p / C) != floor(j / C)</c>.</item>
    /// <item>BlockSize B (BigBird): with <c>qb = floor(p / B)</c>, <c>kb = floor(j / B)</c>, <c>K = ceil(M / B)</c>: visible
    /// exactly when <c>|qb - kb| &lt;= 1</c>, <c>kb</c> or <c>qb</c> is 0 or <c>K - 1</c>, or <c>kb</c> is among
    /// <see cref="Kernels.BigBirdLayout.RandomKeyBlocks"/>(Seed, qb, K, RandomBlocks).</item>
    /// <item>Stride l: visible exactly when <c>|p - j| &lt; l</c> or <c>(p - j) mod l == 0</c>.</item>
    /// <item>FixedBlock l, summary c: visible exactly when <c>floor(j / l) == floor(p / l)</c> or <c>j mod l &gt;= l - c</c>.</item>
    /// <item>Otherwise visible.</item>
    /// </list>
    /// A boolean mask, when given, hides more. <see cref="AttentionPattern.TopK"/> then keeps only each query's K best
    /// visible keys by score (after scale and bias; ties to the lower key index): see <c>Forward</c>.
    /// Floors and mods round toward negative infinity (positions are negative when N &gt; M).
    /// </summary>
    /// <param name="queryIndex">Query token index <c>i</c>, in <c>[0, queryLength)</c>.</param>
    /// <param name="keyIndex">Key token index <c>j</c>, in <c>[0, keyLength)</c>.</param>
    /// <param name="queryLength">Number of query tokens N.</param>
    /// <param name="keyLength">Number of key tokens M.</param>
    /// <param name="pattern">The pattern.</param>
    /// <param name="globalPositions">Global positions for <see cref="AttentionPattern.GlobalTokens"/>, sorted.</param>
    /// <returns>True when the key takes part in the query's softmax.</returns>
    public static bool IsVisible(int queryIndex, int keyIndex, int queryLength, int keyLength, AttentionPattern pattern, ReadOnlySpan<int> globalPositions = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queryIndex, queryLength);
        ArgumentOutOfRangeException.ThrowIfNegative(keyIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(keyIndex, keyLength);
        ArgumentNullException.ThrowIfNull(pattern);

        // long: p - j spans up to twice the int range when N is much larger than M.
        long p = (long)keyLength - queryLength + queryIndex;
        long j = keyIndex;
        if (pattern.Causal && j > p)
            return false;
        if (pattern.GlobalTokens && (Contains(globalPositions, p) || Contains(globalPositions, j)))
            return true;
        if (pattern.Window > 0 && Math.Abs(p - j) >= pattern.Window)
            return false;
        if (pattern.WindowLeft >= 0 && j < p - pattern.WindowLeft)
            return false;
        if (pattern.WindowRight >= 0 && j > p + pattern.WindowRight)
            return false;
        if (pattern.Chunk > 0 && FloorDivide(p, pattern.Chunk) != FloorDivide(j, pattern.Chunk))
            return false;
        if (pattern.BlockSize > 0)
        {
            long qb = FloorDivide(p, pattern.BlockSize);
            long kb = j / pattern.BlockSize;
            int blocks = (int)(((long)keyLength + pattern.BlockSize - 1) / pattern.BlockSize);
            if (Math.Abs(qb - kb) <= 1 || kb == 0 || kb == blocks - 1 || qb == 0 || qb == blocks - 1)
                return true;
            if (qb < 0 || qb >= blocks)
                return false;
            Span<int> random = new int[pattern.RandomBlocks];
            int count = Kernels.BigBirdLayout.RandomKeyBlocks(pattern.Seed, (int)qb, blocks, pattern.RandomBlocks, random);
            return random[..count].Contains((int)kb);
        }

        if (pattern.Stride > 0)
            return Math.Abs(p - j) < pattern.Stride || FloorModulo(p - j, pattern.Stride) == 0;
        if (pattern.FixedBlock > 0)
            return FloorDivide(j, pattern.FixedBlock) == FloorDivide(p, pattern.FixedBlock) || j % pattern.FixedBlock >= pattern.FixedBlock - pattern.EffectiveFixedSummary;
        return true;
    }

    private static bool Contains(ReadOnlySpan<int> positions, long position)
        => position >= int.MinValue && position <= int.MaxValue && positions.Contains((int)position);

    private static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long FloorModulo(long a, long b) => ((a % b) + b) % b;
}
