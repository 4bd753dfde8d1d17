using System;
using System.Globalization;
using Xunit;

namespace Attention.Tests.TestData;

/// <summary>Element-wise comparison of float tensors with a failure message that says where and by how much.</summary>
public static class Tolerance
{
    /// <summary>
    /// Fails unless both spans have the same length and every element differs by at most
    /// <paramref name="tolerance"/> (absolute). NaN in either span counts as a mismatch. The message reports the
    /// number of offending elements, the maximum absolute error with its index, and the first offending index
    /// with both values; flat indices decode as <c>(token * Heads + head) * HeadDim + dim</c> for this library's
    /// layouts.
    /// </summary>
    /// <param name="expected">Reference values.</param>
    /// <param name="actual">Values under test.</param>
    /// <param name="tolerance">Largest allowed absolute difference.</param>
    /// <param name="context">Identifies the case in the message (configuration, seed, batch element).</param>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string context)
    {
        if (expected.Length != actual.Length)
            Assert.Fail($"{context}: expected {expected.Length} elements but got {actual.Length}.");

        int offending = 0;
        int firstOffending = -1;
        int worstIndex = -1;
        double worstError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]);
            // Negated so that a NaN error counts as a failure.
            if (!(error <= tolerance))
            {
                offending++;
                if (firstOffending < 0)
                    firstOffending = i;
            }
            // The first NaN is the worst error; nothing replaces it.
            if (error > worstError || (double.IsNaN(error) && !double.IsNaN(worstError)))
            {
                worstError = error;
                worstIndex = i;
            }
        }

        if (offending == 0)
            return;

        Assert.Fail(
            $"{context}: {offending} of {expected.Length} elements differ by more than {Format(tolerance)}. " +
            $"Max abs error {worstError.ToString("G6", CultureInfo.InvariantCulture)} at index {worstIndex} " +
            $"(expected {Format(expected[worstIndex])}, actual {Format(actual[worstIndex])}); " +
            $"first offending index {firstOffending} " +
            $"(expected {Format(expected[firstOffending])}, actual {Format(actual[firstOffending])}).");
    }

    // Shortest round-trip form: enough digits to tell two floats apart, no noise from widening to double.
    private static string Format(float x) => x.ToString(CultureInfo.InvariantCulture);
}
