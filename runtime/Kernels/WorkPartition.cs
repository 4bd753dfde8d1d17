using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// How a call's query tiles are grouped into work items. An item is one key/value head and a run of
/// consecutive query tiles; every key tile it packs is reused by all of its query tiles, so larger items
/// pack less, while more items balance the cores better.
/// </summary>
public static class WorkPartition
{
    /// <summary>Items per thread to aim for, so dynamic scheduling can even out uneven (masked) items.</summary>
    private const int ItemsPerThread = 4;

    /// <summary>Query tiles per work item: as many as leave about <see cref="ItemsPerThread"/> items per thread,
    /// between 1 and <paramref name="maxTilesPerItem"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TilesPerItem(int tilesPerGroup, int groups, int threads, int maxTilesPerItem)
    {
        long tiles = (long)tilesPerGroup * groups;
        long wanted = (tiles + (long)threads * ItemsPerThread - 1) / ((long)threads * ItemsPerThread);
        return (int)Math.Clamp(wanted, 1, maxTilesPerItem);
    }

    /// <summary><c>ceil(a / b)</c> for positive values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DivideRoundingUp(int a, int b) => (int)(((long)a + b - 1) / b);
}
