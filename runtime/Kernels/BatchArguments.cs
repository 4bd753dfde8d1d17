namespace Attention.Kernels;

/// <summary>
/// Argument checks for the batched entry points (padded and packed variable-length), shared by the generated
/// kernels and <see cref="AttentionReference"/>. Each runs before any work and names the offending argument.
/// </summary>
public static class BatchArguments
{
    /// <summary>
    /// Checks a padded batch: <paramref name="batch"/> sequences, query/output <c>[batch][maxQueryLength][heads][headDim]</c>,
    /// key/value <c>[batch][maxKeyLength][kvGroups][headDim]</c>, and per-sequence lengths within the maxima.
    /// </summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="output">Output; must not overlap an input.</param>
    /// <param name="batch">Sequences, 0 or more.</param>
    /// <param name="maxQueryLength">Query rows stored per sequence.</param>
    /// <param name="maxKeyLength">Key rows stored per sequence.</param>
    /// <param name="queryLengths">Valid query tokens per sequence, each in <c>[0, maxQueryLength]</c>.</param>
    /// <param name="keyLengths">Valid key tokens per sequence, each in <c>[0, maxKeyLength]</c>.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="headDim">Features per head.</param>
    /// <exception cref="ArgumentException">A count, length or span size is wrong, or output overlaps an input.</exception>
    public static void ValidatePadded(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> output,
        int batch, int maxQueryLength, int maxKeyLength, ReadOnlySpan<int> queryLengths, ReadOnlySpan<int> keyLengths, int heads, int kvGroups, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueryLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeyLength);
        long queryRows = (long)batch * maxQueryLength;
        long keyRows = (long)batch * maxKeyLength;
        if (queryRows > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(maxQueryLength), maxQueryLength, $"batch ({batch}) × maxQueryLength ({maxQueryLength}) exceeds {int.MaxValue} rows.");
        if (keyRows > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(maxKeyLength), maxKeyLength, $"batch ({batch}) × maxKeyLength ({maxKeyLength}) exceeds {int.MaxValue} rows.");

        // The whole tensors as one sequence of batch × max rows: shapes, sizes and overlap in one place.
        ForwardArguments.Validate(query, key, value, output, (int)queryRows, (int)keyRows, heads, kvGroups, headDim);
        CheckLengths(queryLengths, nameof(queryLengths), batch, maxQueryLength, nameof(maxQueryLength));
        CheckLengths(keyLengths, nameof(keyLengths), batch, maxKeyLength, nameof(maxKeyLength));
    }

    /// <summary>
    /// Checks a packed variable-length batch: sequence <c>b</c> owns query tokens <c>[queryOffsets[b], queryOffsets[b + 1])</c>
    /// and key tokens <c>[keyOffsets[b], keyOffsets[b + 1])</c>; both offset arrays have batch + 1 entries, start at 0,
    /// never decrease, and end at the tensors' token counts.
    /// </summary>
    /// <param name="query">Queries <c>[totalQueryTokens][heads][headDim]</c>.</param>
    /// <param name="key">Keys <c>[totalKeyTokens][kvGroups][headDim]</c>.</param>
    /// <param name="value">Values, as keys.</param>
    /// <param name="output">Output, as queries; must not overlap an input.</param>
    /// <param name="queryOffsets">Cumulative query offsets.</param>
    /// <param name="keyOffsets">Cumulative key offsets.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="headDim">Features per head.</param>
    /// <exception cref="ArgumentException">The offsets are malformed or disagree with the tensors.</exception>
    public static void ValidatePacked(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> output,
        ReadOnlySpan<int> queryOffsets, ReadOnlySpan<int> keyOffsets, int heads, int kvGroups, int headDim)
    {
        if (queryOffsets.IsEmpty)
            throw new ArgumentException("queryOffsets needs batch + 1 entries (at least one: 0).", nameof(queryOffsets));
        if (keyOffsets.Length != queryOffsets.Length)
            throw new ArgumentException($"keyOffsets has {keyOffsets.Length} entries, but queryOffsets has {queryOffsets.Length}; both need batch + 1.", nameof(keyOffsets));
        CheckOffsets(queryOffsets, nameof(queryOffsets));
        CheckOffsets(keyOffsets, nameof(keyOffsets));
        ForwardArguments.Validate(query, key, value, output, queryOffsets[^1], keyOffsets[^1], heads, kvGroups, headDim);
    }

    private static void CheckLengths(ReadOnlySpan<int> lengths, string name, int batch, int max, string maxName)
    {
        if (lengths.Length != batch)
            throw new ArgumentException($"{name} has {lengths.Length} entries; expected one per sequence (batch = {batch}).", name);
        for (int b = 0; b < lengths.Length; b++)
        {
            if ((uint)lengths[b] > (uint)max)
                throw new ArgumentException($"{name}[{b}] is {lengths[b]}; expected 0 to {maxName} ({max}).", name);
        }
    }

    private static void CheckOffsets(ReadOnlySpan<int> offsets, string name)
    {
        if (offsets[0] != 0)
            throw new ArgumentException($"{name}[0] is {offsets[0]}; cumulative offsets start at 0.", name);
        for (int b = 1; b < offsets.Length; b++)
        {
            if (offsets[b] < offsets[b - 1])
                throw new ArgumentException($"{name} must not decrease, but {name}[{b}] = {offsets[b]} follows {offsets[b - 1]}.", name);
        }
    }
}
