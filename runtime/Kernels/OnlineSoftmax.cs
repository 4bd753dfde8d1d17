using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Attention.Kernels;

/// <summary>
/// The flash-attention softmax step for one query row and one key tile, one method per vector width.
/// </summary>
/// <remarks>
/// <para>Scores arrive in the log2 domain (the kernel folded <c>scale * log2(e)</c> into the queries), with
/// masked entries set to -inf. The step:</para>
/// <list type="number">
/// <item><c>tileMax = max_j s[j]</c> (one horizontal reduction), <c>newMax = max(rowMax, tileMax)</c>.</item>
/// <item><c>correction = 2^(rowMax - newMax)</c>: how much the row's earlier output and sum shrink.
/// It is exactly 1 when the maximum did not move and 0 when the row had seen no key before.</item>
/// <item><c>s[j] = 2^(s[j] - newMax)</c> in place (the probabilities of this tile, unnormalized) and
/// <c>rowSum = rowSum * correction + sum_j s[j]</c>, kept as one vector of partial sums per row so the
/// horizontal sum happens once per row at the very end.</item>
/// </list>
/// <para>While a row has seen no visible key its maximum stays -inf; subtracting -inf would give NaN, so the
/// exponent is taken against 0 instead, which turns the -inf scores into exact zeros (see
/// <see cref="VectorMath.Exp2(float)"/>). Such a row keeps a zero sum and the kernel writes zeros for it.</para>
/// <para><c>count</c> must be a positive multiple of the vector width.</para>
/// </remarks>
public static class OnlineSoftmax
{
    /// <summary>Vector512 step; <paramref name="rowSum"/> holds 16 partial sums.</summary>
    /// <returns>The correction factor for the row's output accumulators.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UpdateRowVector512(ref float scores, int count, ref float rowMax, ref float rowSum)
    {
        const int Width = 16;
        Vector512<float> max = Vector512.LoadUnsafe(ref scores);
        for (int j = Width; j < count; j += Width)
        {
            max = VectorMath.Max(max, Vector512.LoadUnsafe(ref scores, (nuint)j));
        }

        float newMax = MathF.Max(rowMax, VectorMath.HorizontalMax(max));
        float correction = Correction(rowMax, newMax);
        Vector512<float> subtract = Vector512.Create(float.IsNegativeInfinity(newMax) ? 0f : newMax);
        Vector512<float> sum = Vector512<float>.Zero;
        for (int j = 0; j < count; j += Width)
        {
            Vector512<float> p = VectorMath.Exp2(Vector512.LoadUnsafe(ref scores, (nuint)j) - subtract);
            p.StoreUnsafe(ref scores, (nuint)j);
            sum += p;
        }

        Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rowSum), Vector512.Create(correction), sum).StoreUnsafe(ref rowSum);
        rowMax = newMax;
        return correction;
    }

    /// <summary>Vector256 step; <paramref name="rowSum"/> holds 8 partial sums.</summary>
    /// <returns>The correction factor for the row's output accumulators.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UpdateRowVector256(ref float scores, int count, ref float rowMax, ref float rowSum)
    {
        const int Width = 8;
        Vector256<float> max = Vector256.LoadUnsafe(ref scores);
        for (int j = Width; j < count; j += Width)
        {
            max = VectorMath.Max(max, Vector256.LoadUnsafe(ref scores, (nuint)j));
        }

        float newMax = MathF.Max(rowMax, VectorMath.HorizontalMax(max));
        float correction = Correction(rowMax, newMax);
        Vector256<float> subtract = Vector256.Create(float.IsNegativeInfinity(newMax) ? 0f : newMax);
        Vector256<float> sum = Vector256<float>.Zero;
        for (int j = 0; j < count; j += Width)
        {
            Vector256<float> p = VectorMath.Exp2(Vector256.LoadUnsafe(ref scores, (nuint)j) - subtract);
            p.StoreUnsafe(ref scores, (nuint)j);
            sum += p;
        }

        Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rowSum), Vector256.Create(correction), sum).StoreUnsafe(ref rowSum);
        rowMax = newMax;
        return correction;
    }

    /// <summary>Vector128 step; <paramref name="rowSum"/> holds 4 partial sums.</summary>
    /// <returns>The correction factor for the row's output accumulators.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UpdateRowVector128(ref float scores, int count, ref float rowMax, ref float rowSum)
    {
        const int Width = 4;
        Vector128<float> max = Vector128.LoadUnsafe(ref scores);
        for (int j = Width; j < count; j += Width)
        {
            max = VectorMath.Max(max, Vector128.LoadUnsafe(ref scores, (nuint)j));
        }

        float newMax = MathF.Max(rowMax, VectorMath.HorizontalMax(max));
        float correction = Correction(rowMax, newMax);
        Vector128<float> subtract = Vector128.Create(float.IsNegativeInfinity(newMax) ? 0f : newMax);
        Vector128<float> sum = Vector128<float>.Zero;
        for (int j = 0; j < count; j += Width)
        {
            Vector128<float> p = VectorMath.Exp2(Vector128.LoadUnsafe(ref scores, (nuint)j) - subtract);
            p.StoreUnsafe(ref scores, (nuint)j);
            sum += p;
        }

        Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref rowSum), Vector128.Create(correction), sum).StoreUnsafe(ref rowSum);
        rowMax = newMax;
        return correction;
    }

    /// <summary>Scalar step; <paramref name="rowSum"/> holds one sum.</summary>
    /// <returns>The correction factor for the row's output accumulators.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float UpdateRowScalar(ref float scores, int count, ref float rowMax, ref float rowSum)
    {
        float max = scores;
        for (int j = 1; j < count; j++)
        {
            max = MathF.Max(max, Unsafe.Add(ref scores, j));
        }

        float newMax = MathF.Max(rowMax, max);
        float correction = Correction(rowMax, newMax);
        float subtract = float.IsNegativeInfinity(newMax) ? 0f : newMax;
        float sum = 0f;
        for (int j = 0; j < count; j++)
        {
            float p = VectorMath.Exp2(Unsafe.Add(ref scores, j) - subtract);
            Unsafe.Add(ref scores, j) = p;
            sum += p;
        }

        rowSum = rowSum * correction + sum;
        rowMax = newMax;
        return correction;
    }

    /// <summary>
    /// 2^(oldMax - newMax), with the two cases that must not go through the subtraction: an unchanged maximum
    /// (including -inf to -inf, which would be NaN) gives exactly 1, so no rescale happens.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Correction(float oldMax, float newMax) => oldMax == newMax ? 1f : VectorMath.Exp2(oldMax - newMax);

    /// <summary>
    /// Final normalizer of a row: the reciprocal of its summed probabilities, or 0 when the row saw no key
    /// (its sum is zero), so such rows output zeros instead of NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Normalizer(ReadOnlySpan<float> partialSums)
    {
        float sum = 0f;
        foreach (float s in partialSums)
        {
            sum += s;
        }

        return sum > 0f ? 1f / sum : 0f;
    }

    /// <summary>Span-free form of <see cref="Normalizer(ReadOnlySpan{float})"/> for generated code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Normalizer(ref float partialSums, int count) => Normalizer(MemoryMarshal.CreateReadOnlySpan(ref partialSums, count));
}
