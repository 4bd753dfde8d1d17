using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// One call's inputs as seen by a work item: the addresses of the pinned tensors and how the work was cut.
/// Created by <see cref="KernelLauncher"/> while it holds the spans pinned; valid only during that call.
/// </summary>
public readonly unsafe struct KernelArguments
{
    private readonly float* _query;
    private readonly float* _key;
    private readonly float* _value;
    private readonly float* _output;
    private readonly float* _partials;

    internal KernelArguments(float* query, float* key, float* value, float* output, float* partials, int queryLength, int keyLength,
        in WorkPartition.Cut cut, in PatternArguments pattern, int residueItems = 0, int residueChunks = 0)
    {
        Pattern = pattern;
        NormalItems = cut.ItemCount;
        ResidueItems = residueItems;
        ResidueChunks = residueChunks;
        _query = query;
        _key = key;
        _value = value;
        _output = output;
        _partials = partials;
        QueryLength = queryLength;
        KeyLength = keyLength;
        TilesPerGroup = cut.TilesPerGroup;
        TilesPerItem = cut.TilesPerItem;
        GroupsPerItem = cut.GroupsPerItem;
        ItemsPerGroup = cut.ItemsPerGroup;
        GroupBlocks = cut.GroupBlocks;
        KeySplits = cut.KeySplits;
        KeysPerSplit = cut.KeysPerSplit;
    }

    /// <summary>Which keys each query sees, with the call's run-time masking inputs.</summary>
    public readonly PatternArguments Pattern;

    /// <summary>First element of the query tensor.</summary>
    public ref float Query => ref Unsafe.AsRef<float>(_query);

    /// <summary>First element of the key tensor.</summary>
    public ref float Key => ref Unsafe.AsRef<float>(_key);

    /// <summary>First element of the value tensor.</summary>
    public ref float Value => ref Unsafe.AsRef<float>(_value);

    /// <summary>First element of the output tensor.</summary>
    public ref float Output => ref Unsafe.AsRef<float>(_output);

    /// <summary>
    /// When <see cref="KeySplits"/> &gt; 1: partial results, one record of <see cref="SplitMerge.RecordFloats"/>
    /// per (split, key/value head, flat row); see <see cref="SplitMerge"/>.
    /// </summary>
    public ref float Partials => ref Unsafe.AsRef<float>(_partials);

    /// <summary>Query tokens (N).</summary>
    public int QueryLength { get; }

    /// <summary>Key tokens (M).</summary>
    public int KeyLength { get; }

    /// <summary>Query tiles per key/value head (see <see cref="WorkPartition.Cut"/>).</summary>
    public int TilesPerGroup { get; }

    /// <summary>Query tiles one work item covers.</summary>
    public int TilesPerItem { get; }

    /// <summary>Query-tile blocks per key/value head.</summary>
    public int ItemsPerGroup { get; }

    /// <summary>Runs of <see cref="GroupsPerItem"/> key/value heads.</summary>
    public int GroupBlocks { get; }

    /// <summary>Key/value heads one work item covers (more than 1 only when each has a single query tile).</summary>
    public int GroupsPerItem { get; }

    /// <summary>Parts the key range is cut into (1: each item sees all its keys and writes the output itself).</summary>
    public int KeySplits { get; }

    /// <summary>Items of the tile grid (<see cref="WorkPartition.Cut.ItemCount"/>); strided kernels number their residue items after them.</summary>
    public int NormalItems { get; }

    /// <summary>
    /// Strided pattern: items of the residue pass, which attends each query to its strided keys with queries grouped by
    /// position modulo the stride (so a query tile shares its strided keys); 0 when the strided keys are visited in the
    /// tile grid instead. With a residue pass, both passes leave partial records (split 0: tile grid, split 1: residue)
    /// that <see cref="SplitMerge"/> combines.
    /// </summary>
    public int ResidueItems { get; }

    /// <summary>Residue pass: chunks of rows per residue class.</summary>
    public int ResidueChunks { get; }

    /// <summary>Keys per split, a multiple of the kernel's key tile.</summary>
    public int KeysPerSplit { get; }
}

/// <summary>A generated kernel's body for one work item; <paramref name="scratch"/> is the running thread's own, 64-byte aligned.</summary>
public delegate void KernelWorkItem(in KernelArguments arguments, int workItem, Span<float> scratch);

/// <summary>What the launcher needs to know about a generated kernel: the configuration and its tile plan.</summary>
/// <param name="Heads">Query heads.</param>
/// <param name="KvGroups">Key/value heads.</param>
/// <param name="HeadDim">Features per head.</param>
/// <param name="TileRows">Rows per query tile.</param>
/// <param name="MaxTilesPerItem">Most query tiles in one work item.</param>
/// <param name="KeyTile">Keys per key tile.</param>
/// <param name="ScratchFloats">Scratch one thread needs, in floats.</param>
/// <param name="Pattern">The kernel's compile-time pattern.</param>
public readonly record struct KernelPlan(int Heads, int KvGroups, int HeadDim, int TileRows, int MaxTilesPerItem, int KeyTile, int ScratchFloats, AttentionPattern Pattern);
