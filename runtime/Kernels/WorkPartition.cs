using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// How a call is cut into work items. An item is one key/value head, a run of consecutive query tiles and,
/// when there are too few of those to keep every core busy (a decode step, a short chunk against a long
/// cache), one part of the key range. Every key tile an item packs is reused by all its query tiles, so larger
/// items pack less, while more items balance the cores better.
/// </summary>
public static class WorkPartition
{
    /// <summary>Items per thread to aim for, so dynamic scheduling can even out uneven (masked) items.</summary>
    private const int ItemsPerThread = 4;

    /// <summary>A key split must cover at least this many keys, so its partial-result traffic and the merge stay small
    /// next to the keys it reads (whatever the key tile of the plan: the decode plan's tiles are only 8 keys).</summary>
    private const int MinKeysPerSplit = 384;

    /// <summary>The cut of one call.</summary>
    /// <param name="TilesPerGroup">Query tiles per key/value head.</param>
    /// <param name="TilesPerItem">Query tiles per item.</param>
    /// <param name="GroupsPerItem">Key/value heads per item.</param>
    /// <param name="ItemsPerGroup">Query-tile blocks per key/value head.</param>
    /// <param name="GroupBlocks">Runs of GroupsPerItem key/value heads: ceil(KvGroups / GroupsPerItem).</param>
    /// <param name="KeySplits">Parts of the key range (1 = not split).</param>
    /// <param name="KeysPerSplit">Keys per part, a multiple of the key tile.</param>
    /// <param name="ItemCount">All items: ItemsPerGroup x GroupBlocks x KeySplits.</param>
    /// <param name="PartialFloats">Floats of partial results when split.</param>
    public readonly record struct Cut(int TilesPerGroup, int TilesPerItem, int GroupsPerItem, int ItemsPerGroup, int GroupBlocks, int KeySplits, int KeysPerSplit,
        int ItemCount, int PartialFloats);

    /// <summary>Cuts a call with <paramref name="queryLength"/> &gt; 0 for <paramref name="threads"/> threads.</summary>
    /// <param name="queryLength">Query tokens.</param>
    /// <param name="keyLength">Key tokens.</param>
    /// <param name="plan">The kernel's tile plan.</param>
    /// <param name="threads">Threads to keep busy.</param>
    /// <param name="allowKeySplits">Whether the key range may be split (not in batches, whose items share one counter).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Cut Plan(int queryLength, int keyLength, in KernelPlan plan, int threads, bool allowKeySplits = true)
    {
        int rowsPerGroup = queryLength * (plan.Heads / plan.KvGroups);
        int tilesPerGroup = DivideRoundingUp(rowsPerGroup, plan.TileRows);
        long wantedItems = (long)threads * ItemsPerThread;
        long totalTiles = (long)tilesPerGroup * plan.KvGroups;
        int tilesPerItem = (int)Math.Clamp((totalTiles + wantedItems - 1) / wantedItems, 1, plan.MaxTilesPerItem);
        int itemsPerGroup = DivideRoundingUp(tilesPerGroup, tilesPerItem);
        int keyTiles = Math.Max(1, DivideRoundingUp(keyLength, plan.KeyTile));
        int minTilesPerSplit = DivideRoundingUp(MinKeysPerSplit, plan.KeyTile);
        bool splittable = allowKeySplits && keyTiles >= 2 * minTilesPerSplit;

        // A decode step (one query tile per key/value head) against a long cache: one item takes several heads, so
        // it reads whole token rows of the cache (all heads of a token are adjacent, usually one 4 KB page) instead
        // of one head's 512 bytes from every page; the key range is then split for the threads.
        int groupsPerItem = tilesPerGroup == 1 && splittable ? Math.Min(plan.KvGroups, plan.MaxTilesPerItem) : 1;
        int groupBlocks = DivideRoundingUp(plan.KvGroups, groupsPerItem);
        int items = itemsPerGroup * groupBlocks;

        // Too few items for the threads: cut the key range too, as long as each part keeps enough key tiles.
        int keySplits = 1;
        if (items < threads && splittable)
        {
            keySplits = Math.Min(DivideRoundingUp(threads * ItemsPerThread, items), keyTiles / minTilesPerSplit);
        }

        // Whole key tiles per part; rounding can leave fewer parts than asked for, never an empty one.
        int tilesPerSplit = DivideRoundingUp(keyTiles, keySplits);
        keySplits = DivideRoundingUp(keyTiles, tilesPerSplit);
        int keysPerSplit = tilesPerSplit * plan.KeyTile;
        long partialFloats = keySplits > 1 ? (long)keySplits * plan.KvGroups * rowsPerGroup * SplitMerge.RecordFloats(plan.HeadDim) : 0;
        if (partialFloats > int.MaxValue)
        {
            keySplits = 1;
            keysPerSplit = keyTiles * plan.KeyTile;
            partialFloats = 0;
        }

        return new Cut(tilesPerGroup, tilesPerItem, groupsPerItem, itemsPerGroup, groupBlocks, keySplits, keysPerSplit, items * keySplits, (int)partialFloats);
    }

    /// <summary><c>ceil(a / b)</c> for positive values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DivideRoundingUp(int a, int b) => (int)(((long)a + b - 1) / b);
}
