using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attention.Kernels;

/// <summary>
/// Copies tiles of the token-major inputs into the layouts the register microkernels stream through
/// (BLIS-style packing). Every packed tile is zero-padded to its full size, so the microkernels have no
/// edge branches; padded keys are masked to -inf before the softmax and padded query rows are never
/// written back. Only elements inside the inputs are read.
/// </summary>
public static class Packing
{
    /// <summary>
    /// Packs a query tile transposed, <c>[headDim][tileRows]</c>, multiplied by <paramref name="scale"/>.
    /// Row <c>r</c> of the tile is flat row <c>firstRow + r</c> of key/value group <paramref name="group"/>,
    /// i.e. token <c>(firstRow + r) / headsPerGroup</c>, query head <c>group * headsPerGroup + (firstRow + r) % headsPerGroup</c>:
    /// the query heads of a group become extra rows of one tile, so each key and value is loaded once for all of them.
    /// </summary>
    /// <param name="query">Start of the query tensor <c>[tokens][heads][headDim]</c>.</param>
    /// <param name="firstRow">First flat row of the tile.</param>
    /// <param name="rows">Valid rows (rows past it are zero).</param>
    /// <param name="tileRows">Rows in the packed tile.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="group">Key/value head.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="scale">Multiplier folded into the packed values (the softmax scale times log2(e)).</param>
    /// <param name="destination">Start of the <c>headDim * tileRows</c> packed tile.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackQueryTransposed(ref float query, int firstRow, int rows, int tileRows, int heads, int headsPerGroup, int group,
        int headDim, float scale, ref float destination)
        => PackQueryTransposedStrided(ref query, firstToken: 0, tokenStride: 1, firstRow, rows, tileRows, heads, headsPerGroup, group, headDim, scale, ref destination);

    /// <summary>
    /// As <see cref="PackQueryTransposed"/> for the strided pattern's residue pass: row <c>r</c> of the tile is row
    /// <c>firstRow + r</c> of a residue class whose tokens are <c>firstToken, firstToken + tokenStride, ...</c>, i.e. token
    /// <c>firstToken + (firstRow + r) / headsPerGroup * tokenStride</c>, query head <c>group * headsPerGroup + (firstRow + r) % headsPerGroup</c>.
    /// </summary>
    /// <param name="query">Start of the query tensor <c>[tokens][heads][headDim]</c>.</param>
    /// <param name="firstToken">The class's first token.</param>
    /// <param name="tokenStride">Tokens between consecutive tokens of the class.</param>
    /// <param name="firstRow">First row of the tile within the class.</param>
    /// <param name="rows">Valid rows (rows past it are zero).</param>
    /// <param name="tileRows">Rows in the packed tile.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="group">Key/value head.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="scale">Multiplier folded into the packed values.</param>
    /// <param name="destination">Start of the <c>headDim * tileRows</c> packed tile.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackQueryTransposedStrided(ref float query, int firstToken, int tokenStride, int firstRow, int rows, int tileRows, int heads,
        int headsPerGroup, int group, int headDim, float scale, ref float destination)
    {
        // Eight whole rows at a time with AVX: eight features of each are loaded, scaled and transposed in registers
        // into eight features of the eight rows. Partial rows, features past a multiple of 8 and other machines go scalar.
        int r = 0;
        if (Avx.IsSupported && headDim >= 8)
        {
            Vector256<float> scaleVector = Vector256.Create(scale);
            Span<nint> sources = stackalloc nint[8];
            for (; r + 8 <= rows; r += 8)
            {
                for (int i = 0; i < 8; i++)
                {
                    int row = firstRow + r + i;
                    long token = firstToken + (long)(row / headsPerGroup) * tokenStride;
                    int head = group * headsPerGroup + row % headsPerGroup;
                    sources[i] = ((nint)token * heads + head) * headDim;
                }

                int d = 0;
                for (; d + 8 <= headDim; d += 8)
                {
                    Vector256<float> c0 = Load(ref query, sources[0] + d) * scaleVector, c1 = Load(ref query, sources[1] + d) * scaleVector;
                    Vector256<float> c2 = Load(ref query, sources[2] + d) * scaleVector, c3 = Load(ref query, sources[3] + d) * scaleVector;
                    Vector256<float> c4 = Load(ref query, sources[4] + d) * scaleVector, c5 = Load(ref query, sources[5] + d) * scaleVector;
                    Vector256<float> c6 = Load(ref query, sources[6] + d) * scaleVector, c7 = Load(ref query, sources[7] + d) * scaleVector;
                    RegisterTranspose.Transpose8x8(ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7);
                    c0.StoreUnsafe(ref destination, (nuint)((nint)(d + 0) * tileRows + r));
                    c1.StoreUnsafe(ref destination, (nuint)((nint)(d + 1) * tileRows + r));
                    c2.StoreUnsafe(ref destination, (nuint)((nint)(d + 2) * tileRows + r));
                    c3.StoreUnsafe(ref destination, (nuint)((nint)(d + 3) * tileRows + r));
                    c4.StoreUnsafe(ref destination, (nuint)((nint)(d + 4) * tileRows + r));
                    c5.StoreUnsafe(ref destination, (nuint)((nint)(d + 5) * tileRows + r));
                    c6.StoreUnsafe(ref destination, (nuint)((nint)(d + 6) * tileRows + r));
                    c7.StoreUnsafe(ref destination, (nuint)((nint)(d + 7) * tileRows + r));
                }

                for (; d < headDim; d++)
                {
                    for (int i = 0; i < 8; i++)
                    {
                        Unsafe.Add(ref destination, (nint)d * tileRows + r + i) = Unsafe.Add(ref query, sources[i] + d) * scale;
                    }
                }
            }
        }

        for (; r < tileRows; r++)
        {
            if (r < rows)
            {
                int row = firstRow + r;
                long token = firstToken + (long)(row / headsPerGroup) * tokenStride;
                int head = group * headsPerGroup + row % headsPerGroup;
                ref float source = ref Unsafe.Add(ref query, ((nint)token * heads + head) * headDim);
                for (int d = 0; d < headDim; d++)
                {
                    Unsafe.Add(ref destination, (nint)d * tileRows + r) = Unsafe.Add(ref source, d) * scale;
                }
            }
            else
            {
                for (int d = 0; d < headDim; d++)
                {
                    Unsafe.Add(ref destination, (nint)d * tileRows + r) = 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float source, nint offset) => Vector256.LoadUnsafe(ref source, (nuint)offset);

    /// <summary>
    /// Copies one head's row (<paramref name="headDim"/> floats). With AVX-512, whole 16-float vectors are copied
    /// inline, four per step: a packed tile is dozens of rows of a few hundred bytes, and in a single-core harness of
    /// the d128 prefill loop the inline copy was 1 to 2 % faster than a memmove call per row. The rest of the row
    /// (and other tiers) go through the span copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(ref float source, ref float destination, int headDim)
    {
        int d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; d <= headDim - 64; d += 64)
            {
                Vector512<float> a = Vector512.LoadUnsafe(ref source, (nuint)d);
                Vector512<float> b = Vector512.LoadUnsafe(ref source, (nuint)(d + 16));
                Vector512<float> c = Vector512.LoadUnsafe(ref source, (nuint)(d + 32));
                Vector512<float> e = Vector512.LoadUnsafe(ref source, (nuint)(d + 48));
                a.StoreUnsafe(ref destination, (nuint)d);
                b.StoreUnsafe(ref destination, (nuint)(d + 16));
                c.StoreUnsafe(ref destination, (nuint)(d + 32));
                e.StoreUnsafe(ref destination, (nuint)(d + 48));
            }

            for (; d <= headDim - 16; d += 16)
            {
                Vector512.LoadUnsafe(ref source, (nuint)d).StoreUnsafe(ref destination, (nuint)d);
            }
        }

        if (d < headDim)
        {
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref source, d), headDim - d).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, d), headDim - d));
        }
    }

    /// <summary>
    /// Copies rows <c>firstKey .. firstKey + keys - 1</c> of key/value head <paramref name="group"/> next to each
    /// other, <c>[tileKeys][headDim]</c>, zero beyond <paramref name="keys"/>. In the token-major input these
    /// rows sit <c>kvGroups * headDim</c> floats apart, often a multiple of 4 KB, so the microkernel's dozen
    /// concurrent row streams would all map to the same L1 sets; packed, they are <c>headDim</c> floats apart.
    /// The zero rows make padded keys harmless (their scores are masked, and 0 * value adds nothing).
    /// </summary>
    /// <param name="source">Start of the key or value tensor <c>[tokens][kvGroups][headDim]</c>.</param>
    /// <param name="firstKey">First key of the tile.</param>
    /// <param name="keys">Valid keys in the tile.</param>
    /// <param name="tileKeys">Rows in the packed tile.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="group">Key/value head.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="destination">Start of the <c>tileKeys * headDim</c> packed tile.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRows(ref float source, int firstKey, int keys, int tileKeys, int kvGroups, int group, int headDim, ref float destination)
    {
        for (int j = 0; j < keys; j++)
        {
            CopyRow(ref Unsafe.Add(ref source, ((nint)(firstKey + j) * kvGroups + group) * headDim), ref Unsafe.Add(ref destination, (nint)j * headDim), headDim);
        }

        if (keys < tileKeys)
        {
            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, (nint)keys * headDim), (tileKeys - keys) * headDim).Clear();
        }
    }

    /// <summary>
    /// As <see cref="PackRows"/>, for keys that are not adjacent: row <c>c</c> of the tile is key <c>positions[c]</c>
    /// (a gathered tile of a sparse pattern's extra keys), zero beyond <paramref name="keys"/>.
    /// </summary>
    /// <param name="source">Start of the key or value tensor <c>[tokens][kvGroups][headDim]</c>.</param>
    /// <param name="positions">The keys, each inside the tensor.</param>
    /// <param name="keys">Valid keys in the tile.</param>
    /// <param name="tileKeys">Rows in the packed tile.</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="group">Key/value head.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="destination">Start of the <c>tileKeys * headDim</c> packed tile.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRowsGathered(ref float source, ref int positions, int keys, int tileKeys, int kvGroups, int group, int headDim, ref float destination)
    {
        for (int c = 0; c < keys; c++)
        {
            CopyRow(ref Unsafe.Add(ref source, ((nint)Unsafe.Add(ref positions, c) * kvGroups + group) * headDim), ref Unsafe.Add(ref destination, (nint)c * headDim), headDim);
        }

        if (keys < tileKeys)
        {
            MemoryMarshal.CreateSpan(ref Unsafe.Add(ref destination, (nint)keys * headDim), (tileKeys - keys) * headDim).Clear();
        }
    }

    /// <summary>
    /// Asks the cache to start loading rows <c>firstKey .. firstKey + keys - 1</c> of key/value head
    /// <paramref name="group"/>, so the next key tile arrives while this one is computed. Rows of one head sit
    /// <c>kvGroups * headDim</c> floats apart, usually a new 4 KB page each, where the hardware's stream
    /// prefetchers start over; when keys are streamed from memory (a decode step) this is what keeps the loads
    /// ahead. Only addresses inside the tensor are touched (prefetches never fault, but stay within bounds anyway).
    /// </summary>
    /// <param name="source">Start of the key or value tensor <c>[tokens][kvGroups][headDim]</c>.</param>
    /// <param name="firstKey">First row to prefetch.</param>
    /// <param name="keys">Rows to prefetch (0 or less: nothing).</param>
    /// <param name="kvGroups">Key/value heads.</param>
    /// <param name="group">Key/value head.</param>
    /// <param name="headDim">Features per head.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchRows(ref float source, int firstKey, int keys, int kvGroups, int group, int headDim)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        const int FloatsPerLine = 64 / sizeof(float);
        for (int j = 0; j < keys; j++)
        {
            float* row = (float*)Unsafe.AsPointer(ref Unsafe.Add(ref source, ((nint)(firstKey + j) * kvGroups + group) * headDim));
            for (int d = 0; d < headDim; d += FloatsPerLine)
            {
                Sse.Prefetch1(row + d);
            }
        }
    }

    /// <summary>
    /// Asks for the cache line holding <paramref name="address"/> to be loaded into L2 (a hint: nothing is read
    /// into a register and nothing faults). The decode microkernels call it a line at a time between their
    /// multiply-adds, so the next key tile streams in without a burst of requests that would hold up their loads.
    /// </summary>
    /// <param name="address">Any element of the line; callers pass elements of the tensors they are given.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchLine(ref float address)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch1(Unsafe.AsPointer(ref address));
        }
    }
}
