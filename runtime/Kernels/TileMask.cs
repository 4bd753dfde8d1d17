using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Attention.Kernels;

/// <summary>
/// Element mask for the key tiles that straddle some row's visible range; interior tiles never come here
/// (the generated kernel decides per tile). Scores are laid out <c>[tileKeys][tileRows]</c>, rows in lanes,
/// and each row carries its visible key range <c>[rowStart, rowEnd)</c>, so masking one key is one
/// compare-and-select per row vector. One method per vector width.
/// </summary>
public static class TileMask
{
    /// <summary>Vector512: sets <c>scores[j][r]</c> to -inf where key <c>tileStart + j</c> is outside row r's range.</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 16]</c>.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key (tile rows / 16).</param>
    /// <param name="tileStart">Absolute index of the tile's first key.</param>
    /// <param name="rowStart">First visible key of each row.</param>
    /// <param name="rowEnd">One past the last visible key of each row.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyVector512(ref float scores, int tileKeys, int rowVectors, int tileStart, ref int rowStart, ref int rowEnd)
    {
        const int Width = 16;
        int tileRows = rowVectors * Width;
        Vector512<float> negativeInfinity = Vector512.Create(float.NegativeInfinity);
        for (int v = 0; v < rowVectors; v++)
        {
            Vector512<int> start = Vector512.LoadUnsafe(ref rowStart, (nuint)(v * Width));
            Vector512<int> end = Vector512.LoadUnsafe(ref rowEnd, (nuint)(v * Width));
            for (int j = 0; j < tileKeys; j++)
            {
                Vector512<int> key = Vector512.Create(tileStart + j);
                Vector512<float> hidden = (Vector512.LessThan(key, start) | Vector512.GreaterThanOrEqual(key, end)).AsSingle();
                nuint offset = (nuint)(j * tileRows + v * Width);
                Vector512.ConditionalSelect(hidden, negativeInfinity, Vector512.LoadUnsafe(ref scores, offset)).StoreUnsafe(ref scores, offset);
            }
        }
    }

    /// <summary>Vector256 form of <see cref="ApplyVector512"/> (8 rows per vector).</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 8]</c>.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key.</param>
    /// <param name="tileStart">Absolute index of the tile's first key.</param>
    /// <param name="rowStart">First visible key of each row.</param>
    /// <param name="rowEnd">One past the last visible key of each row.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyVector256(ref float scores, int tileKeys, int rowVectors, int tileStart, ref int rowStart, ref int rowEnd)
    {
        const int Width = 8;
        int tileRows = rowVectors * Width;
        Vector256<float> negativeInfinity = Vector256.Create(float.NegativeInfinity);
        for (int v = 0; v < rowVectors; v++)
        {
            Vector256<int> start = Vector256.LoadUnsafe(ref rowStart, (nuint)(v * Width));
            Vector256<int> end = Vector256.LoadUnsafe(ref rowEnd, (nuint)(v * Width));
            for (int j = 0; j < tileKeys; j++)
            {
                Vector256<int> key = Vector256.Create(tileStart + j);
                Vector256<float> hidden = (Vector256.LessThan(key, start) | Vector256.GreaterThanOrEqual(key, end)).AsSingle();
                nuint offset = (nuint)(j * tileRows + v * Width);
                Vector256.ConditionalSelect(hidden, negativeInfinity, Vector256.LoadUnsafe(ref scores, offset)).StoreUnsafe(ref scores, offset);
            }
        }
    }

    /// <summary>Vector128 form of <see cref="ApplyVector512"/> (4 rows per vector).</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors * 4]</c>.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Vectors per key.</param>
    /// <param name="tileStart">Absolute index of the tile's first key.</param>
    /// <param name="rowStart">First visible key of each row.</param>
    /// <param name="rowEnd">One past the last visible key of each row.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyVector128(ref float scores, int tileKeys, int rowVectors, int tileStart, ref int rowStart, ref int rowEnd)
    {
        const int Width = 4;
        int tileRows = rowVectors * Width;
        Vector128<float> negativeInfinity = Vector128.Create(float.NegativeInfinity);
        for (int v = 0; v < rowVectors; v++)
        {
            Vector128<int> start = Vector128.LoadUnsafe(ref rowStart, (nuint)(v * Width));
            Vector128<int> end = Vector128.LoadUnsafe(ref rowEnd, (nuint)(v * Width));
            for (int j = 0; j < tileKeys; j++)
            {
                Vector128<int> key = Vector128.Create(tileStart + j);
                Vector128<float> hidden = (Vector128.LessThan(key, start) | Vector128.GreaterThanOrEqual(key, end)).AsSingle();
                nuint offset = (nuint)(j * tileRows + v * Width);
                Vector128.ConditionalSelect(hidden, negativeInfinity, Vector128.LoadUnsafe(ref scores, offset)).StoreUnsafe(ref scores, offset);
            }
        }
    }

    /// <summary>Scalar form of <see cref="ApplyVector512"/> (one row per "vector").</summary>
    /// <param name="scores">Scores <c>[tileKeys][rowVectors]</c>.</param>
    /// <param name="tileKeys">Keys in the tile.</param>
    /// <param name="rowVectors">Rows per key.</param>
    /// <param name="tileStart">Absolute index of the tile's first key.</param>
    /// <param name="rowStart">First visible key of each row.</param>
    /// <param name="rowEnd">One past the last visible key of each row.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyScalar(ref float scores, int tileKeys, int rowVectors, int tileStart, ref int rowStart, ref int rowEnd)
    {
        for (int r = 0; r < rowVectors; r++)
        {
            int start = Unsafe.Add(ref rowStart, r);
            int end = Unsafe.Add(ref rowEnd, r);
            for (int j = 0; j < tileKeys; j++)
            {
                int key = tileStart + j;
                if (key < start || key >= end)
                {
                    Unsafe.Add(ref scores, j * rowVectors + r) = float.NegativeInfinity;
                }
            }
        }
    }
}
