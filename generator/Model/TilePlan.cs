namespace Attention.Generator.Model;

/// <summary>
/// The tile shapes of one tier for one configuration. Every size here comes from the register budget or
/// the cache sizes, and the emitted file's header repeats them.
/// </summary>
internal sealed class TilePlan
{
    private TilePlan(VectorTier tier, KernelSpec spec, int tileRows, int columnVectors, int chunkVectors)
    {
        Tier = tier;
        TileRows = tileRows;
        ColumnVectors = columnVectors;
        ChunkVectors = chunkVectors;
        PaddedHeadDim = RoundUp(spec.HeadDim, tier.Width);
        ColumnKeys = columnVectors * tier.Width;

        // Key tile: as many keys as keep the packed K and V tiles (2 * keys * PaddedHeadDim floats) within
        // 32 KB, two thirds of Zen 5's and most cores' 48 KB L1d, so both stay in L1 while every query tile of
        // a work item streams over them. At least one column block; at most 128 keys, past which the softmax
        // bookkeeping is already amortized.
        int keysInBudget = L1BudgetFloats / (2 * PaddedHeadDim);
        KeyTile = Math.Max(ColumnKeys, Math.Min(128, keysInBudget / ColumnKeys * ColumnKeys));
    }

    private const int L1BudgetFloats = 32 * 1024 / sizeof(float);

    /// <summary>Most query tiles one work item holds: its packed queries and output accumulators
    /// (2 * tiles * TileRows * PaddedHeadDim floats) stay within about half of a 1 MB L2 up to HeadDim 512.</summary>
    public const int MaxTilesPerItem = 16;

    public VectorTier Tier { get; }

    /// <summary>Query rows per tile (query tokens x heads of a group), all held in registers by both microkernels.</summary>
    public int TileRows { get; }

    /// <summary>Key vectors per row in the QK microkernel: TileRows x ColumnVectors accumulators.</summary>
    public int ColumnVectors { get; }

    /// <summary>Keys per QK column block.</summary>
    public int ColumnKeys { get; }

    /// <summary>Head-dimension vectors per row in the PV microkernel: TileRows x ChunkVectors accumulators.</summary>
    public int ChunkVectors { get; }

    /// <summary>Keys per key tile (a multiple of <see cref="ColumnKeys"/>).</summary>
    public int KeyTile { get; }

    /// <summary>HeadDim rounded up to whole vectors: the row length of packed values and accumulators.</summary>
    public int PaddedHeadDim { get; }

    /// <summary>Accumulator registers each microkernel keeps live.</summary>
    public int QkAccumulators => TileRows * ColumnVectors;

    /// <inheritdoc cref="QkAccumulators"/>
    public int PvAccumulators => TileRows * ChunkVectors;

    /// <summary>
    /// Per tier: Vector512 has 32 zmm registers, so 12 rows x 2 vectors = 24 accumulators plus 2 loaded vectors
    /// and a broadcast (27 live). AVX2 and SSE have 16 registers: 6 x 2 = 12 accumulators + 3 = 15. Scalar code
    /// keeps 4 x 2 = 8 float accumulators, well inside 16 xmm registers.
    /// </summary>
    public static TilePlan For(VectorTier tier, KernelSpec spec) => tier.Name switch
    {
        "Vector512" => new TilePlan(tier, spec, tileRows: 12, columnVectors: 2, chunkVectors: 2),
        "Vector256" => new TilePlan(tier, spec, tileRows: 6, columnVectors: 2, chunkVectors: 2),
        "Vector128" => new TilePlan(tier, spec, tileRows: 6, columnVectors: 2, chunkVectors: 2),
        _ => new TilePlan(tier, spec, tileRows: 4, columnVectors: 2, chunkVectors: 2),
    };

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
