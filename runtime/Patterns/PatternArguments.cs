namespace Attention.Kernels;

/// <summary>The pattern families whose visible keys are not one interval per query (see <see cref="TilePattern"/>).</summary>
public enum PatternKind
{
    /// <summary>Causal, windows and chunks only: one interval per query.</summary>
    Interval,

    /// <summary>Longformer: interval plus global keys (global queries get the whole allowed range as their interval).</summary>
    Longformer,

    /// <summary>BigBird: three-block window (or everything, for global query blocks) plus global and random key blocks.</summary>
    BigBird,

    /// <summary>Sparse Transformer strided: local interval plus every Stride-th key.</summary>
    Strided,

    /// <summary>Sparse Transformer fixed: own block plus the summary positions of every block.</summary>
    Fixed,
}

/// <summary>
/// One call's (or one batch sequence's) masking inputs as a kernel sees them: the compile-time pattern flattened to
/// numbers, the lengths that position queries, and the run-time inputs (global positions, BigBird's random blocks,
/// boolean mask, additive bias) as pinned addresses. Built by <see cref="KernelLauncher"/>; valid only during the call.
/// </summary>
public readonly unsafe struct PatternArguments
{
    internal PatternArguments(AttentionPattern pattern, int queryLength, int keyLength, int* globals, int globalCount, int* randomTable,
        bool* mask, float* bias, long biasHeadStride)
    {
        QueryLength = queryLength;
        KeyLength = keyLength;
        Causal = pattern.Causal;
        LeftReach = pattern.LeftReach;
        RightReach = pattern.RightReach;
        Chunk = pattern.Chunk;
        Kind = pattern.GlobalTokens ? PatternKind.Longformer
            : pattern.BlockSize > 0 ? PatternKind.BigBird
            : pattern.Stride > 0 ? PatternKind.Strided
            : pattern.FixedBlock > 0 ? PatternKind.Fixed
            : PatternKind.Interval;
        Globals = globals;
        GlobalCount = globalCount;
        BlockSize = pattern.BlockSize;
        KeyBlocks = pattern.BlockSize > 0 ? (int)(((long)keyLength + pattern.BlockSize - 1) / pattern.BlockSize) : 0;
        RandomBlocks = pattern.RandomBlocks;
        RandomTable = randomTable;
        Stride = pattern.Stride;
        FixedBlock = pattern.FixedBlock;
        FixedSummary = pattern.EffectiveFixedSummary;
        Mask = mask;
        Bias = bias;
        BiasHeadStride = biasHeadStride;
    }

    /// <summary>Query tokens N of this sequence.</summary>
    public int QueryLength { get; }

    /// <summary>Key tokens M of this sequence.</summary>
    public int KeyLength { get; }

    /// <summary>Keys after the query's position are hidden.</summary>
    public bool Causal { get; }

    /// <summary>Keys before <c>p - LeftReach</c> are hidden (long.MaxValue: unbounded).</summary>
    public long LeftReach { get; }

    /// <summary>Keys after <c>p + RightReach</c> are hidden (long.MaxValue: unbounded).</summary>
    public long RightReach { get; }

    /// <summary>Chunk size, 0 for none.</summary>
    public int Chunk { get; }

    /// <summary>Pattern family.</summary>
    public PatternKind Kind { get; }

    /// <summary>Sorted global positions (Longformer).</summary>
    public int* Globals { get; }

    /// <summary>Number of global positions.</summary>
    public int GlobalCount { get; }

    /// <summary>BigBird block size.</summary>
    public int BlockSize { get; }

    /// <summary>BigBird key blocks, <c>ceil(M / BlockSize)</c>; query blocks at valid positions are below it too.</summary>
    public int KeyBlocks { get; }

    /// <summary>BigBird random blocks per query block.</summary>
    public int RandomBlocks { get; }

    /// <summary>BigBird random key blocks, <c>[KeyBlocks][RandomBlocks]</c>, ascending per query block, -1 where unused.</summary>
    public int* RandomTable { get; }

    /// <summary>Strided pattern's stride.</summary>
    public int Stride { get; }

    /// <summary>Fixed pattern's block.</summary>
    public int FixedBlock { get; }

    /// <summary>Fixed pattern's summary positions per block.</summary>
    public int FixedSummary { get; }

    /// <summary>Boolean mask <c>[N][M]</c>, or null.</summary>
    public bool* Mask { get; }

    /// <summary>Additive bias <c>[N][M]</c> or <c>[Heads][N][M]</c>, or null.</summary>
    public float* Bias { get; }

    /// <summary>Floats between heads of <see cref="Bias"/>: 0 when shared, N × M when per head.</summary>
    public long BiasHeadStride { get; }

    /// <summary>Whether the call has a run-time boolean mask.</summary>
    public bool HasMask => Mask != null;

    /// <summary>Whether the call has a run-time additive bias.</summary>
    public bool HasBias => Bias != null;
}
