using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attention.Kernels;

/// <summary>
/// How a pattern reaches the generated kernels, one query tile and one key tile at a time.
/// </summary>
/// <remarks>
/// <para>Every pattern is split into an <b>interval</b> per query row, <c>[rowStart, rowEnd)</c> (window, chunk, causal
/// bound, the pattern's local part, or the whole allowed range for global queries), and <b>extra</b> keys outside it
/// (Longformer's global keys, BigBird's global and random blocks, the strided keys, the fixed pattern's summary
/// positions). A key tile is visited for a query tile when it meets the tile's band (the union of its rows'
/// intervals); every other tile costs one test. Tiles inside every row's interval apply no element mask; the others
/// mask by interval (<see cref="TileMask"/>) and then restore the extra keys' scores (<see cref="RestoreExtras"/>).</para>
/// <para>Extra keys outside the band take one of two routes. Where they are the same for every row (Longformer's global
/// keys, the fixed pattern's summary positions; the generator decides per kernel), they are listed (<see cref="NextExtraKeys"/>),
/// gathered into packed tiles and masked there (<see cref="MaskGathered"/>), so each costs one key, not a key tile.
/// Where they differ from row to row (BigBird's random blocks, the strided keys), gathering would be repeated for
/// every query tile, so instead the key tiles holding them are visited like band tiles (<see cref="HasExtraKeys"/>).</para>
/// <para>A run-time boolean mask is classified per tile (<see cref="ClassifyMask"/>): all false skips the tile, all
/// true needs no element mask. An additive bias is added to every visited tile (<see cref="AddBias"/>).</para>
/// </remarks>
public static unsafe class TilePattern
{
    /// <summary>Ints per query tile in the summary <see cref="FillRows"/> writes: minimum start and maximum end
    /// over rows that see something (the band), maximum start and minimum end over all rows (the interior).</summary>
    public const int SummaryInts = 4;

    /// <summary>Decision bit: visit the key tile.</summary>
    public const int Visit = 1;

    /// <summary>Decision bit: the pattern needs an element mask on this tile.</summary>
    public const int PatternMask = 2;

    /// <summary>Decision bit: the run-time boolean mask needs an element mask on this tile.</summary>
    public const int RuntimeMask = 4;

    private const float Log2E = 1.4426950408889634f;

    /// <summary>
    /// Writes per row of a query tile its interval, its allowed end (one past the last key the causal bound lets it
    /// see, at most M) and its token, and the tile's summary. Row <c>r</c> is flat row <c>firstRow + r</c>, token
    /// <c>(firstRow + r) / headsPerGroup</c>; padding rows past <paramref name="rows"/> repeat the last real row.
    /// An empty interval is stored as [0, 0).
    /// </summary>
    /// <param name="pattern">The call's pattern.</param>
    /// <param name="firstRow">First flat row of the tile.</param>
    /// <param name="rows">Real rows (at least 1).</param>
    /// <param name="tileRows">Rows in the tile, padding included.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="rowStart">Receives the first key of each row's interval.</param>
    /// <param name="rowEnd">Receives one past the last key of each row's interval.</param>
    /// <param name="rowAllowedEnd">Receives one past the last key the causal bound allows.</param>
    /// <param name="rowToken">Receives each row's query token.</param>
    /// <param name="summary">Receives <see cref="SummaryInts"/> ints: band start, band end, interior start, interior end.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillRows(in PatternArguments pattern, int firstRow, int rows, int tileRows, int headsPerGroup,
        ref int rowStart, ref int rowEnd, ref int rowAllowedEnd, ref int rowToken, ref int summary)
    {
        int keyLength = pattern.KeyLength;
        int bandStart = int.MaxValue, bandEnd = int.MinValue, interiorStart = int.MinValue, interiorEnd = int.MaxValue;
        for (int r = 0; r < tileRows; r++)
        {
            int token = (firstRow + Math.Min(r, rows - 1)) / headsPerGroup;
            long position = (long)keyLength - pattern.QueryLength + token;
            int allowedEnd = pattern.Causal ? (int)Math.Clamp(position + 1, 0, keyLength) : keyLength;
            Interval(in pattern, position, allowedEnd, out int start, out int end);
            if (end <= start)
            {
                start = 0;
                end = 0;
            }
            else
            {
                bandStart = Math.Min(bandStart, start);
                bandEnd = Math.Max(bandEnd, end);
            }

            interiorStart = Math.Max(interiorStart, start);
            interiorEnd = Math.Min(interiorEnd, end);
            Unsafe.Add(ref rowStart, r) = start;
            Unsafe.Add(ref rowEnd, r) = end;
            Unsafe.Add(ref rowAllowedEnd, r) = allowedEnd;
            Unsafe.Add(ref rowToken, r) = token;
        }

        if (bandEnd == int.MinValue)
        {
            bandStart = 0;
            bandEnd = 0;
        }

        summary = bandStart;
        Unsafe.Add(ref summary, 1) = bandEnd;
        Unsafe.Add(ref summary, 2) = interiorStart;
        Unsafe.Add(ref summary, 3) = interiorEnd;
    }

    /// <summary>The interval of position <paramref name="position"/>, before clamping to [0, M).</summary>
    private static void Interval(in PatternArguments pattern, long position, int allowedEnd, out int start, out int end)
    {
        long low = 0;
        long high = allowedEnd;
        switch (pattern.Kind)
        {
            case PatternKind.Interval:
            case PatternKind.Longformer:
                if (pattern.Kind == PatternKind.Longformer && IsGlobal(in pattern, position))
                    break;
                if (pattern.LeftReach != long.MaxValue)
                    low = Math.Max(low, position - pattern.LeftReach);
                if (pattern.RightReach != long.MaxValue)
                    high = Math.Min(high, position + pattern.RightReach + 1);
                if (pattern.Chunk > 0)
                {
                    long chunkStart = FloorDivide(position, pattern.Chunk) * pattern.Chunk;
                    low = Math.Max(low, chunkStart);
                    high = Math.Min(high, chunkStart + pattern.Chunk);
                }

                break;
            case PatternKind.BigBird:
                long queryBlock = FloorDivide(position, pattern.BlockSize);
                if (queryBlock == 0 || queryBlock == pattern.KeyBlocks - 1)
                    break; // global query block: every allowed key
                low = Math.Max(low, (queryBlock - 1) * pattern.BlockSize);
                high = Math.Min(high, (queryBlock + 2) * pattern.BlockSize);
                break;
            case PatternKind.Strided:
                low = Math.Max(low, position - pattern.Stride + 1);
                high = Math.Min(high, position + pattern.Stride);
                break;
            case PatternKind.Fixed:
                long blockStart = FloorDivide(position, pattern.FixedBlock) * pattern.FixedBlock;
                low = Math.Max(low, blockStart);
                high = Math.Min(high, blockStart + pattern.FixedBlock);
                break;
        }

        start = (int)Math.Clamp(low, 0, pattern.KeyLength);
        end = (int)Math.Clamp(high, 0, pattern.KeyLength);
    }

    /// <summary>
    /// Whether some row of a query tile (tokens <paramref name="firstToken"/> to <paramref name="lastToken"/>) has an
    /// extra key, one outside its interval, in keys <c>[keyTileStart, keyTileStart + keys)</c>. May answer true for a
    /// tile whose extra keys all belong to other rows (the element mask then hides them); never false when one exists.
    /// </summary>
    /// <param name="pattern">The call's pattern.</param>
    /// <param name="firstToken">First query token of the tile.</param>
    /// <param name="lastToken">Last query token of the tile.</param>
    /// <param name="keyTileStart">First key of the key tile.</param>
    /// <param name="keys">Keys in the key tile.</param>
    /// <returns>True when the tile must be visited for its extra keys.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool HasExtraKeys(in PatternArguments pattern, int firstToken, int lastToken, int keyTileStart, int keys)
    {
        long firstPosition = (long)pattern.KeyLength - pattern.QueryLength + firstToken;
        long lastPosition = (long)pattern.KeyLength - pattern.QueryLength + lastToken;
        long keyEnd = keyTileStart + keys;
        if (pattern.Causal)
            keyEnd = Math.Min(keyEnd, lastPosition + 1);
        if (keyEnd <= keyTileStart)
            return false;

        switch (pattern.Kind)
        {
            case PatternKind.Longformer:
                return LowerBound(in pattern, keyEnd) > LowerBound(in pattern, keyTileStart);
            case PatternKind.Fixed:
                return FirstSummaryAtOrAfter(in pattern, keyTileStart) < keyEnd;
            case PatternKind.Strided:
                // Some p - j in [firstPosition - (keyEnd - 1), lastPosition - keyTileStart] is a multiple of the stride.
                long low = firstPosition - (keyEnd - 1);
                long high = lastPosition - keyTileStart;
                return FloorDivide(high, pattern.Stride) * pattern.Stride >= low;
            case PatternKind.BigBird:
                int firstBlock = keyTileStart / pattern.BlockSize;
                int lastBlock = (int)((keyEnd - 1) / pattern.BlockSize);
                if (firstBlock == 0 || lastBlock >= pattern.KeyBlocks - 1)
                    return true;
                long firstQueryBlock = Math.Max(0, FloorDivide(firstPosition, pattern.BlockSize));
                long lastQueryBlock = Math.Min(pattern.KeyBlocks - 1, FloorDivide(lastPosition, pattern.BlockSize));
                for (long queryBlock = firstQueryBlock; queryBlock <= lastQueryBlock; queryBlock++)
                {
                    int* random = pattern.RandomTable + queryBlock * pattern.RandomBlocks;
                    for (int r = 0; r < pattern.RandomBlocks; r++)
                    {
                        if (random[r] >= firstBlock && random[r] <= lastBlock)
                            return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// After the interval mask (<see cref="TileMask"/>) set everything outside each row's interval to -inf, puts back
    /// the scores of the row's extra keys (kept in <paramref name="saved"/>, a copy of the tile taken before masking),
    /// up to the row's allowed end. Padding keys past <paramref name="keys"/> stay masked.
    /// </summary>
    /// <param name="scores">Masked scores <c>[tileKeys][tileRows]</c>.</param>
    /// <param name="saved">The same tile before masking.</param>
    /// <param name="tileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="rowToken">Each row's query token.</param>
    /// <param name="rowAllowedEnd">Each row's allowed end.</param>
    /// <param name="pattern">The call's pattern.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RestoreExtras(ref float scores, ref float saved, int tileStart, int keys, int tileRows, ref int rowToken, ref int rowAllowedEnd,
        in PatternArguments pattern)
    {
        int tileEnd = tileStart + keys;
        switch (pattern.Kind)
        {
            case PatternKind.Longformer:
                for (long g = LowerBound(in pattern, tileStart); g < pattern.GlobalCount && pattern.Globals[g] < tileEnd; g++)
                {
                    RestoreColumn(ref scores, ref saved, pattern.Globals[g] - tileStart, pattern.Globals[g], tileRows, ref rowAllowedEnd);
                }

                break;
            case PatternKind.Fixed:
                for (long j = FirstSummaryAtOrAfter(in pattern, tileStart); j < tileEnd; j = FirstSummaryAtOrAfter(in pattern, j + 1))
                {
                    RestoreColumn(ref scores, ref saved, (int)(j - tileStart), (int)j, tileRows, ref rowAllowedEnd);
                }

                break;
            case PatternKind.Strided:
                for (int r = 0; r < tileRows; r++)
                {
                    long position = (long)pattern.KeyLength - pattern.QueryLength + Unsafe.Add(ref rowToken, r);
                    int end = Math.Min(tileEnd, Unsafe.Add(ref rowAllowedEnd, r));
                    for (long j = tileStart + FloorModulo(position - tileStart, pattern.Stride); j < end; j += pattern.Stride)
                    {
                        Restore(ref scores, ref saved, (int)(j - tileStart) * tileRows + r);
                    }
                }

                break;
            case PatternKind.BigBird:
                int blockSize = pattern.BlockSize;
                for (int block = tileStart / blockSize; block <= (tileEnd - 1) / blockSize; block++)
                {
                    int low = Math.Max(tileStart, block * blockSize);
                    int high = Math.Min(tileEnd, (block + 1) * blockSize);
                    if (block == 0 || block == pattern.KeyBlocks - 1)
                    {
                        for (int j = low; j < high; j++)
                            RestoreColumn(ref scores, ref saved, j - tileStart, j, tileRows, ref rowAllowedEnd);
                        continue;
                    }

                    for (int r = 0; r < tileRows; r++)
                    {
                        long queryBlock = FloorDivide((long)pattern.KeyLength - pattern.QueryLength + Unsafe.Add(ref rowToken, r), blockSize);
                        if (queryBlock < 0 || queryBlock >= pattern.KeyBlocks || !HasRandomBlock(in pattern, queryBlock, block))
                            continue;
                        int end = Math.Min(high, Unsafe.Add(ref rowAllowedEnd, r));
                        for (int j = low; j < end; j++)
                            Restore(ref scores, ref saved, (j - tileStart) * tileRows + r);
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Lists the next extra keys of a query tile (tokens <paramref name="firstToken"/> to <paramref name="lastToken"/>)
    /// that its key-tile loop did not visit: ascending from <paramref name="cursor"/>, skipping
    /// <c>[coveredStart, coveredEnd)</c>, below <paramref name="limit"/>, at most <paramref name="capacity"/> of them.
    /// The kernel packs them into one tile (<see cref="Packing.PackRowsGathered"/>), so an extra key costs one key,
    /// not a key tile. A listed key may be extra for only some rows of the tile; <see cref="MaskGathered"/> sorts that out.
    /// </summary>
    /// <param name="pattern">The call's pattern.</param>
    /// <param name="firstToken">First query token of the tile.</param>
    /// <param name="lastToken">Last query token of the tile.</param>
    /// <param name="cursor">First key to consider; advanced past the keys returned.</param>
    /// <param name="coveredStart">Start of the keys already visited.</param>
    /// <param name="coveredEnd">End of the keys already visited.</param>
    /// <param name="limit">One past the last key to consider.</param>
    /// <param name="positions">Receives the keys.</param>
    /// <param name="capacity">Room in <paramref name="positions"/>.</param>
    /// <returns>The number of keys written; 0 when there are no more.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int NextExtraKeys(in PatternArguments pattern, int firstToken, int lastToken, ref int cursor, int coveredStart, int coveredEnd, int limit,
        ref int positions, int capacity)
    {
        long firstPosition = (long)pattern.KeyLength - pattern.QueryLength + firstToken;
        long lastPosition = (long)pattern.KeyLength - pattern.QueryLength + lastToken;
        int count = 0;
        while (count < capacity && cursor < limit)
        {
            long key = NextExtraAtOrAfter(in pattern, firstPosition, lastPosition, cursor);
            if (key >= coveredStart && key < coveredEnd)
            {
                cursor = coveredEnd;
                continue;
            }

            if (key >= limit)
            {
                cursor = limit;
                break;
            }

            Unsafe.Add(ref positions, count++) = (int)key;
            cursor = (int)key + 1;
        }

        return count;
    }

    /// <summary>The first key at or after <paramref name="key"/> that may be extra for a query between the two positions.</summary>
    private static long NextExtraAtOrAfter(in PatternArguments pattern, long firstPosition, long lastPosition, long key)
    {
        switch (pattern.Kind)
        {
            case PatternKind.Longformer:
                long index = LowerBound(in pattern, key);
                return index < pattern.GlobalCount ? pattern.Globals[index] : long.MaxValue;
            case PatternKind.Fixed:
                return FirstSummaryAtOrAfter(in pattern, key);
            case PatternKind.Strided:
                // Key j is strided for some p in [first, last] when (j - first) mod l <= last - first.
                long offset = FloorModulo(key - firstPosition, pattern.Stride);
                return offset <= lastPosition - firstPosition ? key : key + pattern.Stride - offset;
            case PatternKind.BigBird:
                long firstQueryBlock = Math.Max(0, FloorDivide(firstPosition, pattern.BlockSize));
                long lastQueryBlock = Math.Min(pattern.KeyBlocks - 1, FloorDivide(lastPosition, pattern.BlockSize));
                for (long block = key / pattern.BlockSize; block < pattern.KeyBlocks; block++)
                {
                    bool extra = block == 0 || block == pattern.KeyBlocks - 1;
                    for (long queryBlock = firstQueryBlock; !extra && queryBlock <= lastQueryBlock; queryBlock++)
                        extra = HasRandomBlock(in pattern, queryBlock, (int)block);
                    if (extra)
                        return Math.Max(key, block * pattern.BlockSize);
                }

                return long.MaxValue;
            default:
                return long.MaxValue;
        }
    }

    /// <summary>
    /// Residue pass of the strided pattern: per row of a tile of a residue class (tokens <c>firstToken + k * stride</c>),
    /// its token and allowed end; padding rows repeat the last real row.
    /// </summary>
    /// <param name="pattern">The call's pattern.</param>
    /// <param name="firstToken">The class's first token.</param>
    /// <param name="firstRow">First row of the tile within the class.</param>
    /// <param name="rows">Real rows (at least 1).</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="rowAllowedEnd">Receives one past the last key the causal bound allows.</param>
    /// <param name="rowToken">Receives each row's query token.</param>
    public static void FillResidueRows(in PatternArguments pattern, int firstToken, int firstRow, int rows, int tileRows, int headsPerGroup,
        ref int rowAllowedEnd, ref int rowToken)
    {
        for (int r = 0; r < tileRows; r++)
        {
            int token = (int)(firstToken + (long)((firstRow + Math.Min(r, rows - 1)) / headsPerGroup) * pattern.Stride);
            long position = (long)pattern.KeyLength - pattern.QueryLength + token;
            Unsafe.Add(ref rowToken, r) = token;
            Unsafe.Add(ref rowAllowedEnd, r) = pattern.Causal ? (int)Math.Clamp(position + 1, 0, pattern.KeyLength) : pattern.KeyLength;
        }
    }

    /// <summary>
    /// Residue pass: the keys of the residue class of token <paramref name="firstToken"/> (keys congruent to its position
    /// modulo the stride), from the <paramref name="skip"/>-th on, below <paramref name="limit"/>, at most <paramref name="capacity"/>.
    /// </summary>
    /// <param name="pattern">The call's pattern.</param>
    /// <param name="firstToken">The class's first token.</param>
    /// <param name="skip">Keys of the class already listed.</param>
    /// <param name="limit">One past the last key to list.</param>
    /// <param name="positions">Receives the keys.</param>
    /// <param name="capacity">Room in <paramref name="positions"/>.</param>
    /// <returns>The number of keys written.</returns>
    public static int ResidueKeys(in PatternArguments pattern, int firstToken, int skip, int limit, ref int positions, int capacity)
    {
        long first = FloorModulo((long)pattern.KeyLength - pattern.QueryLength + firstToken, pattern.Stride) + (long)skip * pattern.Stride;
        int count = 0;
        for (long key = first; count < capacity && key < limit; key += pattern.Stride)
        {
            Unsafe.Add(ref positions, count++) = (int)key;
        }

        return count;
    }

    /// <summary>
    /// Masks a gathered tile (key <c>c</c> is <c>positions[c]</c>, none past <paramref name="count"/>): an element stays only
    /// when the key is extra for that row and within its allowed end, and the run-time mask allows it; the run-time bias
    /// is added to what stays. Every element of the tile is decided here (no interval mask runs on gathered tiles).
    /// </summary>
    /// <param name="scores">Scores <c>[tileKeys][tileRows]</c>.</param>
    /// <param name="positions">The tile's keys.</param>
    /// <param name="count">Real keys in the tile.</param>
    /// <param name="tileKeys">Keys in the tile, padding included.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="rowToken">Each row's query token.</param>
    /// <param name="rowAllowedEnd">Each row's allowed end.</param>
    /// <param name="firstRow">First flat row of the query tile.</param>
    /// <param name="firstHead">First query head of the key/value group.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="pattern">The call's pattern.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaskGathered(ref float scores, ref int positions, int count, int tileKeys, int tileRows, ref int rowToken, ref int rowAllowedEnd,
        int firstRow, int firstHead, int headsPerGroup, in PatternArguments pattern)
    {
        for (int r = 0; r < tileRows; r++)
        {
            int token = Unsafe.Add(ref rowToken, r);
            long position = (long)pattern.KeyLength - pattern.QueryLength + token;
            int allowedEnd = Unsafe.Add(ref rowAllowedEnd, r);
            long queryBlock = pattern.Kind == PatternKind.BigBird ? FloorDivide(position, pattern.BlockSize) : 0;
            int head = firstHead + (firstRow + r) % headsPerGroup;
            for (int c = 0; c < tileKeys; c++)
            {
                ref float score = ref Unsafe.Add(ref scores, c * tileRows + r);
                int key = c < count ? Unsafe.Add(ref positions, c) : -1;
                bool visible = key >= 0 && key < allowedEnd && pattern.Kind switch
                {
                    // Strided keys are gathered only by the residue pass; the query's own key belongs to its interval.
                    PatternKind.Strided => key != position && FloorModulo(position - key, pattern.Stride) == 0,
                    PatternKind.BigBird => key / pattern.BlockSize == 0 || key / pattern.BlockSize == pattern.KeyBlocks - 1
                        || (queryBlock >= 0 && queryBlock < pattern.KeyBlocks && HasRandomBlock(in pattern, queryBlock, key / pattern.BlockSize)),
                    _ => true, // Longformer's global keys and the fixed pattern's summary positions are extra for every row
                };
                if (visible && pattern.HasMask)
                    visible = ((byte*)pattern.Mask)[(long)token * pattern.KeyLength + key] != 0;
                if (!visible)
                    score = float.NegativeInfinity;
                else if (pattern.HasBias)
                    score += pattern.Bias[head * pattern.BiasHeadStride + (long)token * pattern.KeyLength + key] * Log2E;
            }
        }
    }

    /// <summary>
    /// Classifies the run-time mask over a query tile's tokens and a key tile: 0 when every entry is false (skip the
    /// tile), <see cref="Visit"/> when every entry is true (no element mask), <c>Visit | RuntimeMask</c> otherwise.
    /// </summary>
    /// <param name="pattern">The call's pattern (its <see cref="PatternArguments.Mask"/> is not null).</param>
    /// <param name="firstToken">First query token of the tile.</param>
    /// <param name="lastToken">Last query token of the tile.</param>
    /// <param name="keyTileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <returns>The decision bits the mask contributes.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ClassifyMask(in PatternArguments pattern, int firstToken, int lastToken, int keyTileStart, int keys)
    {
        bool anyTrue = false;
        bool allTrue = true;
        for (long token = firstToken; token <= lastToken; token++)
        {
            var row = new ReadOnlySpan<byte>((byte*)pattern.Mask + token * pattern.KeyLength + keyTileStart, keys);
            anyTrue |= row.IndexOfAnyExcept((byte)0) >= 0;
            allTrue &= row.IndexOf((byte)0) < 0;
            if (anyTrue && !allTrue)
                return Visit | RuntimeMask;
        }

        return anyTrue ? Visit : 0;
    }

    /// <summary>Sets <c>scores[j][r]</c> to -inf where the run-time mask is false for row r's token and key <c>tileStart + j</c>.</summary>
    /// <param name="scores">Scores <c>[tileKeys][tileRows]</c>.</param>
    /// <param name="tileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="rowToken">Each row's query token.</param>
    /// <param name="pattern">The call's pattern.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ApplyMask(ref float scores, int tileStart, int keys, int tileRows, ref int rowToken, in PatternArguments pattern)
    {
        for (int r = 0; r < tileRows; r++)
        {
            byte* row = (byte*)pattern.Mask + (long)Unsafe.Add(ref rowToken, r) * pattern.KeyLength + tileStart;
            for (int j = 0; j < keys; j++)
            {
                if (row[j] == 0)
                    Unsafe.Add(ref scores, j * tileRows + r) = float.NegativeInfinity;
            }
        }
    }

    /// <summary>
    /// Adds the run-time bias to a tile's scores, in the kernel's log2 domain (bias × log2(e)). Row <c>r</c> is query
    /// head <c>firstHead + (firstRow + r) % headsPerGroup</c> of token <c>rowToken[r]</c>.
    /// </summary>
    /// <param name="scores">Scores <c>[tileKeys][tileRows]</c>.</param>
    /// <param name="tileStart">First key of the tile.</param>
    /// <param name="keys">Real keys in the tile.</param>
    /// <param name="tileRows">Rows in the tile.</param>
    /// <param name="rowToken">Each row's query token.</param>
    /// <param name="firstRow">First flat row of the query tile.</param>
    /// <param name="firstHead">First query head of the key/value group.</param>
    /// <param name="headsPerGroup">Query heads per key/value head.</param>
    /// <param name="pattern">The call's pattern.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBias(ref float scores, int tileStart, int keys, int tileRows, ref int rowToken, int firstRow, int firstHead, int headsPerGroup,
        in PatternArguments pattern)
    {
        // Scores hold rows in lanes, bias rows are contiguous in keys: with AVX, eight rows by eight keys are loaded as
        // eight row vectors and transposed in registers into eight key vectors of eight rows (a gather is slower here).
        float** rowBias = stackalloc float*[tileRows];
        for (int r = 0; r < tileRows; r++)
        {
            int head = firstHead + (firstRow + r) % headsPerGroup;
            rowBias[r] = pattern.Bias + head * pattern.BiasHeadStride + (long)Unsafe.Add(ref rowToken, r) * pattern.KeyLength + tileStart;
        }

        int r0 = 0;
        if (Avx.IsSupported)
        {
            Vector256<float> log2E = Vector256.Create(Log2E);
            for (; r0 + 8 <= tileRows; r0 += 8)
            {
                float* b0 = rowBias[r0 + 0], b1 = rowBias[r0 + 1], b2 = rowBias[r0 + 2], b3 = rowBias[r0 + 3];
                float* b4 = rowBias[r0 + 4], b5 = rowBias[r0 + 5], b6 = rowBias[r0 + 6], b7 = rowBias[r0 + 7];
                int j = 0;
                for (; j + 8 <= keys; j += 8)
                {
                    Vector256<float> c0 = Avx.LoadVector256(b0 + j), c1 = Avx.LoadVector256(b1 + j), c2 = Avx.LoadVector256(b2 + j), c3 = Avx.LoadVector256(b3 + j);
                    Vector256<float> c4 = Avx.LoadVector256(b4 + j), c5 = Avx.LoadVector256(b5 + j), c6 = Avx.LoadVector256(b6 + j), c7 = Avx.LoadVector256(b7 + j);
                    RegisterTranspose.Transpose8x8(ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7);
                    AddKey(ref scores, (j + 0) * tileRows + r0, c0, log2E);
                    AddKey(ref scores, (j + 1) * tileRows + r0, c1, log2E);
                    AddKey(ref scores, (j + 2) * tileRows + r0, c2, log2E);
                    AddKey(ref scores, (j + 3) * tileRows + r0, c3, log2E);
                    AddKey(ref scores, (j + 4) * tileRows + r0, c4, log2E);
                    AddKey(ref scores, (j + 5) * tileRows + r0, c5, log2E);
                    AddKey(ref scores, (j + 6) * tileRows + r0, c6, log2E);
                    AddKey(ref scores, (j + 7) * tileRows + r0, c7, log2E);
                }

                for (int r = r0; r < r0 + 8; r++)
                {
                    float* row = rowBias[r];
                    for (int tail = j; tail < keys; tail++)
                        Unsafe.Add(ref scores, tail * tileRows + r) += row[tail] * Log2E;
                }
            }
        }

        for (int r = r0; r < tileRows; r++)
        {
            float* row = rowBias[r];
            for (int j = 0; j < keys; j++)
            {
                Unsafe.Add(ref scores, j * tileRows + r) += row[j] * Log2E;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddKey(ref float scores, int offset, Vector256<float> bias, Vector256<float> log2E)
        => Vector256.MultiplyAddEstimate(bias, log2E, Vector256.LoadUnsafe(ref scores, (nuint)offset)).StoreUnsafe(ref scores, (nuint)offset);

    private static void RestoreColumn(ref float scores, ref float saved, int column, int key, int tileRows, ref int rowAllowedEnd)
    {
        for (int r = 0; r < tileRows; r++)
        {
            if (key < Unsafe.Add(ref rowAllowedEnd, r))
                Restore(ref scores, ref saved, column * tileRows + r);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Restore(ref float scores, ref float saved, int offset) => Unsafe.Add(ref scores, offset) = Unsafe.Add(ref saved, offset);

    private static bool IsGlobal(in PatternArguments pattern, long position)
    {
        long index = LowerBound(in pattern, position);
        return index < pattern.GlobalCount && pattern.Globals[index] == position;
    }

    /// <summary>Index of the first global position at or after <paramref name="position"/>.</summary>
    private static long LowerBound(in PatternArguments pattern, long position)
    {
        long low = 0;
        long high = pattern.GlobalCount;
        while (low < high)
        {
            long middle = (low + high) >>> 1;
            if (pattern.Globals[middle] < position)
                low = middle + 1;
            else
                high = middle;
        }

        return low;
    }

    /// <summary>First summary position of the fixed pattern at or after key <paramref name="key"/> (not negative).</summary>
    private static long FirstSummaryAtOrAfter(in PatternArguments pattern, long key)
    {
        long blockStart = key / pattern.FixedBlock * pattern.FixedBlock;
        long summaryStart = blockStart + pattern.FixedBlock - pattern.FixedSummary;
        return Math.Max(key, summaryStart);
    }

    private static bool HasRandomBlock(in PatternArguments pattern, long queryBlock, int keyBlock)
    {
        int* random = pattern.RandomTable + queryBlock * pattern.RandomBlocks;
        for (int r = 0; r < pattern.RandomBlocks; r++)
        {
            if (random[r] == keyBlock)
                return true;
        }

        return false;
    }

    private static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long FloorModulo(long a, long b) => ((a % b) + b) % b;
}
