using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// Argument checks shared by every attention entry point: the generated <c>Forward</c> methods and
/// <c>AttentionReference.Forward</c>. Both call <see cref="Validate"/> before touching any data, so a
/// caller gets the same exception for the same mistake whichever implementation it uses.
/// </summary>
public static class ForwardArguments
{
    private const string QueryLayout = "[queryLength][Heads][HeadDim]";
    private const string KeyLayout = "[keyLength][KvGroups][HeadDim]";

    /// <summary>
    /// Checks that the spans match the configuration exactly and that <paramref name="output"/> does not alias an
    /// input. Returns normally when the call is valid, including the no-op call with <c>queryLength == 0</c>.
    /// </summary>
    /// <param name="query">Query tensor, <c>[queryLength][Heads][HeadDim]</c> float32, row-major.</param>
    /// <param name="key">Key tensor, <c>[keyLength][KvGroups][HeadDim]</c> float32, row-major.</param>
    /// <param name="value">Value tensor, same layout as <paramref name="key"/>.</param>
    /// <param name="output">Output tensor, same layout as <paramref name="query"/>; must not overlap any input.</param>
    /// <param name="queryLength">Number of query tokens N, at least 0.</param>
    /// <param name="keyLength">Number of key/value tokens M, at least 0.</param>
    /// <param name="heads">Number of query heads, at least 1.</param>
    /// <param name="kvGroups">Number of key/value heads, at least 1, and a divisor of <paramref name="heads"/>.</param>
    /// <param name="headDim">Number of features per head, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="heads"/>, <paramref name="kvGroups"/> or <paramref name="headDim"/> is not positive;
    /// <paramref name="queryLength"/> or <paramref name="keyLength"/> is negative, or so large that its tensor
    /// would exceed <see cref="int.MaxValue"/> elements.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="kvGroups"/> does not divide <paramref name="heads"/>; a span's length differs from the
    /// element count its layout requires; or <paramref name="output"/> overlaps an input.
    /// </exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Validate(
        ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, ReadOnlySpan<float> output,
        int queryLength, int keyLength, int heads, int kvGroups, int headDim)
    {
        // The configuration first: every element count below is derived from it.
        if (heads <= 0) ThrowNotPositive(nameof(heads), heads);
        if (kvGroups <= 0) ThrowNotPositive(nameof(kvGroups), kvGroups);
        if (headDim <= 0) ThrowNotPositive(nameof(headDim), headDim);
        if (heads % kvGroups != 0) ThrowGroupsDoNotDivideHeads(heads, kvGroups);
        if (queryLength < 0) ThrowNegativeLength(nameof(queryLength), queryLength);
        if (keyLength < 0) ThrowNegativeLength(nameof(keyLength), keyLength);

        int queryElements = ElementCount(queryLength, heads, headDim, nameof(queryLength), "Heads");
        if (query.Length != queryElements)
            ThrowWrongLength(nameof(query), query.Length, queryElements, QueryLayout, nameof(queryLength), queryLength, "Heads", heads, headDim);
        if (output.Length != queryElements)
            ThrowWrongLength(nameof(output), output.Length, queryElements, QueryLayout, nameof(queryLength), queryLength, "Heads", heads, headDim);

        // Checked even when queryLength is 0: a wrong cache size is a bug in the caller whether or not this
        // particular call has work to do.
        int keyElements = ElementCount(keyLength, kvGroups, headDim, nameof(keyLength), "KvGroups");
        if (key.Length != keyElements)
            ThrowWrongLength(nameof(key), key.Length, keyElements, KeyLayout, nameof(keyLength), keyLength, "KvGroups", kvGroups, headDim);
        if (value.Length != keyElements)
            ThrowWrongLength(nameof(value), value.Length, keyElements, KeyLayout, nameof(keyLength), keyLength, "KvGroups", kvGroups, headDim);

        // Kernels write output tiles while later tiles still read the inputs, so any aliasing corrupts results.
        // Empty spans never overlap, which keeps the queryLength == 0 call valid.
        if (output.Overlaps(query)) ThrowOverlap(nameof(query));
        if (output.Overlaps(key)) ThrowOverlap(nameof(key));
        if (output.Overlaps(value)) ThrowOverlap(nameof(value));
    }

    /// <summary>
    /// Checks the global positions of a <see cref="AttentionAttribute.GlobalTokens"/> call: strictly increasing
    /// (sorted, no duplicates), each in <c>[0, keyLength)</c>.
    /// </summary>
    /// <param name="globalPositions">The positions.</param>
    /// <param name="keyLength">Key tokens M.</param>
    /// <exception cref="ArgumentException">A position is out of range or out of order (parameter <c>globalPositions</c>).</exception>
    public static void ValidateGlobalPositions(ReadOnlySpan<int> globalPositions, int keyLength)
    {
        for (int g = 0; g < globalPositions.Length; g++)
        {
            int position = globalPositions[g];
            if ((uint)position >= (uint)keyLength)
                throw new ArgumentException($"globalPositions[{g}] is {position}; expected a key position in [0, keyLength = {keyLength}).", nameof(globalPositions));
            if (g > 0 && position <= globalPositions[g - 1])
                throw new ArgumentException($"globalPositions must be strictly increasing, but globalPositions[{g}] = {position} follows {globalPositions[g - 1]}.", nameof(globalPositions));
        }
    }

    /// <summary>Checks a boolean mask: exactly <c>[queryLength][keyLength]</c>.</summary>
    /// <param name="mask">The mask.</param>
    /// <param name="queryLength">Query tokens N.</param>
    /// <param name="keyLength">Key tokens M.</param>
    /// <exception cref="ArgumentException">Wrong length (parameter <c>mask</c>).</exception>
    public static void ValidateMask(ReadOnlySpan<bool> mask, int queryLength, int keyLength)
    {
        long expected = (long)queryLength * keyLength;
        if (mask.Length != expected)
            throw new ArgumentException($"mask has {mask.Length} elements, but its layout [queryLength][keyLength] needs exactly {expected}: queryLength ({queryLength}) × keyLength ({keyLength}).", nameof(mask));
    }

    /// <summary>Checks an additive bias: <c>[queryLength][keyLength]</c> (shared by every head) or <c>[heads][queryLength][keyLength]</c>.</summary>
    /// <param name="bias">The bias.</param>
    /// <param name="queryLength">Query tokens N.</param>
    /// <param name="keyLength">Key tokens M.</param>
    /// <param name="heads">Query heads.</param>
    /// <exception cref="ArgumentException">Wrong length (parameter <c>bias</c>).</exception>
    public static void ValidateBias(ReadOnlySpan<float> bias, int queryLength, int keyLength, int heads)
    {
        long shared = (long)queryLength * keyLength;
        if (bias.Length != shared && bias.Length != shared * heads)
            throw new ArgumentException($"bias has {bias.Length} elements, but its layout needs exactly {shared} ([queryLength][keyLength] = {queryLength} × {keyLength}, shared by all heads) or {shared * heads} ([heads][queryLength][keyLength] with heads = {heads}).", nameof(bias));
    }

    /// <summary>
    /// <paramref name="length"/> × <paramref name="groups"/> × <paramref name="headDim"/>, rejecting counts no span
    /// can hold. All three are non-negative here; the per-token product fits a long (below 2^62), and comparing it
    /// against <c>int.MaxValue / length</c> avoids a triple product that could overflow even a long.
    /// </summary>
    private static int ElementCount(int length, int groups, int headDim, string lengthName, string groupsName)
    {
        long perToken = (long)groups * headDim;
        if (length != 0 && perToken > int.MaxValue / length)
            ThrowTooLarge(lengthName, length, groupsName, groups, headDim);
        return (int)(length * perToken);
    }

    // Throw helpers stay out of line so Validate itself is a short run of compares on the happy path.

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotPositive(string name, int actual) =>
        throw new ArgumentOutOfRangeException(name, actual, $"{name} must be at least 1, but is {actual}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowGroupsDoNotDivideHeads(int heads, int kvGroups) =>
        throw new ArgumentException(
            $"kvGroups ({kvGroups}) must divide heads ({heads}): each key/value head serves heads / kvGroups query heads.",
            nameof(kvGroups));

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegativeLength(string name, int actual) =>
        throw new ArgumentOutOfRangeException(name, actual, $"{name} must be 0 or more, but is {actual}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(string lengthName, int length, string groupsName, int groups, int headDim) =>
        throw new ArgumentOutOfRangeException(
            lengthName, length,
            $"{lengthName} ({length}) × {groupsName} ({groups}) × HeadDim ({headDim}) = {(Int128)length * groups * headDim} " +
            $"elements exceeds the largest span, {int.MaxValue} elements.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongLength(
        string name, int actual, int expected, string layout,
        string lengthName, int length, string groupsName, int groups, int headDim) =>
        throw new ArgumentException(
            $"{name} has {actual} elements, but its layout {layout} needs exactly {expected}: " +
            $"{lengthName} ({length}) × {groupsName} ({groups}) × HeadDim ({headDim}).",
            name);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOverlap(string input) =>
        throw new ArgumentException(
            $"output must not overlap {input}: the kernel writes output while it still reads {input}. Use a separate buffer.",
            "output");
}
