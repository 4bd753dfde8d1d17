using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attention.Kernels;

/// <summary>
/// The flash-attention softmax step for one query tile and one key tile, one method per vector width.
/// </summary>
/// <remarks>
/// <para>Scores arrive <c>[tileKeys][tileRows]</c> with query rows in vector lanes, in the log2 domain (the
/// kernel folded <c>scale * log2(e)</c> into the queries), masked entries set to -inf. Per row, lane-wise:</para>
/// <list type="number">
/// <item><c>tileMax = max(rowMax, max_j s[j])</c>, a vertical max over the tile's keys.</item>
/// <item><c>newMax = tileMax</c> if <c>tileMax &gt; rowMax + <see cref="RescaleThreshold"/></c>, else <c>rowMax</c>:
/// the row's reference maximum moves only when the tile exceeds it by more than the threshold (lazy rescaling).</item>
/// <item><c>correction = 2^(rowMax - newMax)</c>: how much the row's earlier output and sum shrink; exactly 1
/// when the reference did not move, 0 when the row had seen no key before.</item>
/// <item><c>s[j] = 2^(s[j] - newMax)</c> in place (unnormalized probabilities) and
/// <c>rowSum = rowSum * correction + sum_j s[j]</c>.</item>
/// </list>
/// <para>Why lazy: the final output is <c>acc / rowSum</c>, and both are taken against the same reference, so any
/// reference at or below the true maximum gives the same softmax; it only has to keep <c>2^(s - newMax)</c> from
/// overflowing. Keeping the reference while the maximum creeps up by a few units makes the correction exactly 1 on
/// almost every tile after the first, and the PV microkernel then skips its rescale (one multiply per accumulator
/// per key tile, about 2 % of the PV multiply-adds with 48-key tiles, more with the decode plan's 8-key tiles).
/// Probabilities stay at most <c>2^RescaleThreshold</c> = 256, sums at most 256 per key: far from float's range,
/// and relative precision does not depend on scale. The
/// reference is always some tile's true maximum, so the row's largest probability is at least 1 and a row with a
/// visible key never sums to 0.</para>
/// <para>While a row has seen no visible key its maximum stays -inf; the exponent is then taken against 0,
/// which turns the -inf scores into exact zeros (<see cref="VectorMath.Exp2(float)"/> flushes below 2^-127).
/// Such a row keeps a zero sum, and <see cref="Normalizer"/> makes its output zeros instead of NaN.</para>
/// </remarks>
public static class OnlineSoftmax
{
    /// <summary>
    /// How far (in log2 units, the scores' domain) a row's scores may rise above its reference maximum before the
    /// reference moves: probabilities are then at most 2^8 = 256.
    /// </summary>
    public const float RescaleThreshold = 8f;

    /// <summary>Vector512 step: 16 rows per vector.</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 16]</c>, replaced by the tile's unnormalized probabilities.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key.</param>
    /// <param name="rowMax">Running maximum per row.</param>
    /// <param name="rowSum">Running sum per row.</param>
    /// <param name="correction">Receives the factor each row's output accumulators must be multiplied by.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UpdateTileVector512(ref float scores, int tileKeys, int rowVectors, ref float rowMax, ref float rowSum, ref float correction)
    {
        const int Width = 16;
        int tileRows = rowVectors * Width;
        for (int v = 0; v < rowVectors; v++)
        {
            nuint row = (nuint)(v * Width);
            Vector512<float> oldMax = Vector512.LoadUnsafe(ref rowMax, row);
            Vector512<float> tileMax = oldMax;
            for (int j = 0; j < tileKeys; j++)
            {
                tileMax = VectorMath.Max(tileMax, Vector512.LoadUnsafe(ref scores, (nuint)(j * tileRows) + row));
            }

            // The reference maximum moves only when the tile exceeds it by more than RescaleThreshold.
            Vector512<float> newMax = Vector512.ConditionalSelect(Vector512.GreaterThan(tileMax, oldMax + Vector512.Create(RescaleThreshold)), tileMax, oldMax);

            // Unchanged reference (including -inf to -inf, where the subtraction would be NaN): exactly 1.
            Vector512<float> factor = Vector512.ConditionalSelect(Vector512.Equals(oldMax, newMax), Vector512<float>.One, VectorMath.Exp2(oldMax - newMax));
            // Rows that have seen nothing keep -inf; subtracting 0 instead turns their -inf scores into exact zeros.
            Vector512<float> subtract = Vector512.ConditionalSelect(Vector512.Equals(newMax, Vector512.Create(float.NegativeInfinity)), Vector512<float>.Zero, newMax);
            Vector512<float> sum = Vector512<float>.Zero;
            for (int j = 0; j < tileKeys; j++)
            {
                nuint offset = (nuint)(j * tileRows) + row;
                Vector512<float> p = VectorMath.Exp2(Vector512.LoadUnsafe(ref scores, offset) - subtract);
                p.StoreUnsafe(ref scores, offset);
                sum += p;
            }

            Vector512.MultiplyAddEstimate(Vector512.LoadUnsafe(ref rowSum, row), factor, sum).StoreUnsafe(ref rowSum, row);
            newMax.StoreUnsafe(ref rowMax, row);
            factor.StoreUnsafe(ref correction, row);
        }
    }

    /// <summary>Vector256 step: 8 rows per vector.</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 8]</c>, replaced by the tile's unnormalized probabilities.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key.</param>
    /// <param name="rowMax">Running maximum per row.</param>
    /// <param name="rowSum">Running sum per row.</param>
    /// <param name="correction">Receives the factor each row's output accumulators must be multiplied by.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UpdateTileVector256(ref float scores, int tileKeys, int rowVectors, ref float rowMax, ref float rowSum, ref float correction)
    {
        const int Width = 8;
        int tileRows = rowVectors * Width;
        for (int v = 0; v < rowVectors; v++)
        {
            nuint row = (nuint)(v * Width);
            Vector256<float> oldMax = Vector256.LoadUnsafe(ref rowMax, row);
            Vector256<float> tileMax = oldMax;
            for (int j = 0; j < tileKeys; j++)
            {
                tileMax = VectorMath.Max(tileMax, Vector256.LoadUnsafe(ref scores, (nuint)(j * tileRows) + row));
            }

            // The reference maximum moves only when the tile exceeds it by more than RescaleThreshold.
            Vector256<float> newMax = Vector256.ConditionalSelect(Vector256.GreaterThan(tileMax, oldMax + Vector256.Create(RescaleThreshold)), tileMax, oldMax);

            // Unchanged reference (including -inf to -inf, where the subtraction would be NaN): exactly 1.
            Vector256<float> factor = Vector256.ConditionalSelect(Vector256.Equals(oldMax, newMax), Vector256<float>.One, VectorMath.Exp2(oldMax - newMax));
            // Rows that have seen nothing keep -inf; subtracting 0 instead turns their -inf scores into exact zeros.
            Vector256<float> subtract = Vector256.ConditionalSelect(Vector256.Equals(newMax, Vector256.Create(float.NegativeInfinity)), Vector256<float>.Zero, newMax);
            Vector256<float> sum = Vector256<float>.Zero;
            for (int j = 0; j < tileKeys; j++)
            {
                nuint offset = (nuint)(j * tileRows) + row;
                Vector256<float> p = VectorMath.Exp2(Vector256.LoadUnsafe(ref scores, offset) - subtract);
                p.StoreUnsafe(ref scores, offset);
                sum += p;
            }

            Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref rowSum, row), factor, sum).StoreUnsafe(ref rowSum, row);
            newMax.StoreUnsafe(ref rowMax, row);
            factor.StoreUnsafe(ref correction, row);
        }
    }

    /// <summary>Vector128 step: 4 rows per vector.</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 4]</c>, replaced by the tile's unnormalized probabilities.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key.</param>
    /// <param name="rowMax">Running maximum per row.</param>
    /// <param name="rowSum">Running sum per row.</param>
    /// <param name="correction">Receives the factor each row's output accumulators must be multiplied by.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UpdateTileVector128(ref float scores, int tileKeys, int rowVectors, ref float rowMax, ref float rowSum, ref float correction)
    {
        const int Width = 4;
        int tileRows = rowVectors * Width;
        for (int v = 0; v < rowVectors; v++)
        {
            nuint row = (nuint)(v * Width);
            Vector128<float> oldMax = Vector128.LoadUnsafe(ref rowMax, row);
            Vector128<float> tileMax = oldMax;
            for (int j = 0; j < tileKeys; j++)
            {
                tileMax = VectorMath.Max(tileMax, Vector128.LoadUnsafe(ref scores, (nuint)(j * tileRows) + row));
            }

            // The reference maximum moves only when the tile exceeds it by more than RescaleThreshold.
            Vector128<float> newMax = Vector128.ConditionalSelect(Vector128.GreaterThan(tileMax, oldMax + Vector128.Create(RescaleThreshold)), tileMax, oldMax);

            // Unchanged reference (including -inf to -inf, where the subtraction would be NaN): exactly 1.
            Vector128<float> factor = Vector128.ConditionalSelect(Vector128.Equals(oldMax, newMax), Vector128<float>.One, VectorMath.Exp2(oldMax - newMax));
            // Rows that have seen nothing keep -inf; subtracting 0 instead turns their -inf scores into exact zeros.
            Vector128<float> subtract = Vector128.ConditionalSelect(Vector128.Equals(newMax, Vector128.Create(float.NegativeInfinity)), Vector128<float>.Zero, newMax);
            Vector128<float> sum = Vector128<float>.Zero;
            for (int j = 0; j < tileKeys; j++)
            {
                nuint offset = (nuint)(j * tileRows) + row;
                Vector128<float> p = VectorMath.Exp2(Vector128.LoadUnsafe(ref scores, offset) - subtract);
                p.StoreUnsafe(ref scores, offset);
                sum += p;
            }

            Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref rowSum, row), factor, sum).StoreUnsafe(ref rowSum, row);
            newMax.StoreUnsafe(ref rowMax, row);
            factor.StoreUnsafe(ref correction, row);
        }
    }

    /// <summary>
    /// Step of the 4-row AVX-512 decode plan: every four keys' 16 scores, <c>[4 keys][4 rows]</c>, are one Vector512
    /// (lane 4k + r), so the maximum and the sum over the keys are elementwise across the tile's one or two vectors,
    /// then two 128-bit-quarter shuffles; the exponentials are 512-bit <see cref="VectorMath.Exp2(Vector512{float})"/>
    /// calls instead of one 128-bit call per key. Same results as <see cref="UpdateTileVector128"/> with
    /// 4 x <paramref name="keyQuads"/> keys and one row vector.
    /// </summary>
    /// <param name="scores">Scores <c>[4 x keyQuads][4]</c>, replaced by the tile's unnormalized probabilities.</param>
    /// <param name="keyQuads">Keys in the tile over four: 1 or 2 (the plan's key tile is a constant, so the branch folds).</param>
    /// <param name="rowMax">Running maximum per row.</param>
    /// <param name="rowSum">Running sum per row.</param>
    /// <param name="correction">Receives the factor each row's output accumulators must be multiplied by.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UpdateQuadTile(ref float scores, int keyQuads, ref float rowMax, ref float rowSum, ref float correction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keyQuads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyQuads, 2);

        if (!Avx512F.IsSupported)
        {
            UpdateTileVector128(ref scores, 4 * keyQuads, 1, ref rowMax, ref rowSum, ref correction);
            return;
        }

        Vector512<float> first = Vector512.LoadUnsafe(ref scores);
        Vector512<float> second = keyQuads == 2 ? Vector512.LoadUnsafe(ref scores, 16) : default;
        // Each 128-bit quarter is one key's four rows: the maximum over keys is a maximum over quarters.
        Vector512<float> keyMax = keyQuads == 2 ? VectorMath.Max(first, second) : first;
        keyMax = VectorMath.Max(keyMax, Avx512F.Shuffle4x128(keyMax, keyMax, 0b01_00_11_10));
        keyMax = VectorMath.Max(keyMax, Avx512F.Shuffle4x128(keyMax, keyMax, 0b10_11_00_01));
        Vector128<float> oldMax = Vector128.LoadUnsafe(ref rowMax);
        Vector128<float> tileMax = VectorMath.Max(oldMax, keyMax.GetLower().GetLower());
        Vector128<float> newMax = Vector128.ConditionalSelect(Vector128.GreaterThan(tileMax, oldMax + Vector128.Create(RescaleThreshold)), tileMax, oldMax);

        // Unchanged reference (including -inf to -inf): exactly 1. Rows that have seen nothing subtract 0 (see UpdateTileVector128).
        Vector128<float> factor = Vector128.ConditionalSelect(Vector128.Equals(oldMax, newMax), Vector128<float>.One, VectorMath.Exp2(oldMax - newMax));
        Vector128<float> subtract = Vector128.ConditionalSelect(Vector128.Equals(newMax, Vector128.Create(float.NegativeInfinity)), Vector128<float>.Zero, newMax);
        Vector512<float> subtractEveryKey = Avx512F.Shuffle4x128(subtract.ToVector256Unsafe().ToVector512Unsafe(), subtract.ToVector256Unsafe().ToVector512Unsafe(), 0);
        Vector512<float> keySum = VectorMath.Exp2(first - subtractEveryKey);
        keySum.StoreUnsafe(ref scores);
        if (keyQuads == 2)
        {
            Vector512<float> probabilities = VectorMath.Exp2(second - subtractEveryKey);
            probabilities.StoreUnsafe(ref scores, 16);
            keySum += probabilities;
        }

        keySum += Avx512F.Shuffle4x128(keySum, keySum, 0b01_00_11_10);
        keySum += Avx512F.Shuffle4x128(keySum, keySum, 0b10_11_00_01);
        Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref rowSum), factor, keySum.GetLower().GetLower()).StoreUnsafe(ref rowSum);
        newMax.StoreUnsafe(ref rowMax);
        factor.StoreUnsafe(ref correction);
    }

    /// <summary>Scalar step: one row per "vector".</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors]</c>, replaced by the tile's unnormalized probabilities.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Rows in the tile.</param>
    /// <param name="rowMax">Running maximum per row.</param>
    /// <param name="rowSum">Running sum per row.</param>
    /// <param name="correction">Receives the factor each row's output accumulators must be multiplied by.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void UpdateTileScalar(ref float scores, int tileKeys, int rowVectors, ref float rowMax, ref float rowSum, ref float correction)
    {
        for (int r = 0; r < rowVectors; r++)
        {
            float oldMax = Unsafe.Add(ref rowMax, r);
            float tileMax = oldMax;
            for (int j = 0; j < tileKeys; j++)
            {
                tileMax = MathF.Max(tileMax, Unsafe.Add(ref scores, j * rowVectors + r));
            }

            float newMax = tileMax > oldMax + RescaleThreshold ? tileMax : oldMax;

            float factor = oldMax == newMax ? 1f : VectorMath.Exp2(oldMax - newMax);
            float subtract = float.IsNegativeInfinity(newMax) ? 0f : newMax;
            float sum = 0f;
            for (int j = 0; j < tileKeys; j++)
            {
                ref float score = ref Unsafe.Add(ref scores, j * rowVectors + r);
                score = VectorMath.Exp2(score - subtract);
                sum += score;
            }

            Unsafe.Add(ref rowSum, r) = Unsafe.Add(ref rowSum, r) * factor + sum;
            Unsafe.Add(ref rowMax, r) = newMax;
            Unsafe.Add(ref correction, r) = factor;
        }
    }

    /// <summary>
    /// Final normalizer of a row: the reciprocal of its summed probabilities, or 0 when the row saw no key
    /// (its sum is zero; any visible key contributes at least 2^0 = 1), so such rows output zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Normalizer(float rowSum) => rowSum > 0f ? 1f / rowSum : 0f;
}
