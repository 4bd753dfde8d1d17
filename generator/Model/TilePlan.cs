namespace Attention.Generator.Model;

/// <summary>
/// The tile shapes of one tier for one configuration. Every size comes from the register budget or the
/// cache sizes, and the emitted file's header repeats them.
/// </summary>
/// <remarks>
/// Query rows live in vector lanes: a tile of <see cref="TileRows"/> rows is <see cref="RowVectors"/>
/// vectors wide. The QK microkernel broadcasts one key feature and multiplies it into the query rows'
/// vectors; the PV microkernel broadcasts one value feature and multiplies it into the probabilities'
/// vectors. Everything per row (running max, sum, correction, masks) is then lane-wise: no horizontal
/// reductions and no transposes inside the key loop.
/// </remarks>
internal sealed class TilePlan
{
    private const int L1BudgetBytes = 48 * 1024;
    private const int L2BudgetBytes = 512 * 1024;
    private const int MaxKeyTile = 48;

    private TilePlan(string name, VectorTier tier, KernelSpec spec, int rowVectors, int keyBlock, int featureBlock, bool featureQuads = false)
    {
        Name = name;
        FeatureQuads = featureQuads;
        Tier = tier;
        RowVectors = rowVectors;
        KeyBlock = keyBlock;
        FeatureBlock = featureBlock;
        TileRows = rowVectors * tier.Width;

        // Key tile: as many whole key blocks as keep the packed K and V tiles (2 * keys * HeadDim floats) within
        // 48 KB, Zen 5's L1d: the QK microkernel streams only K and the PV microkernel only V, so each phase keeps
        // half of it plus its query or accumulator block hot. Longer tiles amortize the accumulator loads and
        // stores of the PV block and the softmax bookkeeping (measured: 24 -> 48 keys at HeadDim 128 gave +4% in one
        // session, nothing in a later one), but not beyond 48 keys: at HeadDim 64, 96-key tiles (the whole L1 for K and
        // V) ran 3 % (bidirectional) and 4 % (causal) slower than 48-key tiles, in alternating runs. At least one block.
        int keysInBudget = L1BudgetBytes / (2 * spec.HeadDim * sizeof(float));
        KeyTile = keyBlock * Math.Max(1, Math.Min(MaxKeyTile / keyBlock, keysInBudget / keyBlock));
        if (featureQuads)
        {
            // The decode plan streams the cache: every key is used once, by one 4-row tile. Short key tiles make the item
            // walk whole token rows almost in address order (8 keys x all key/value heads, then the next 8), which the
            // hardware prefetchers follow; 48-key tiles touch 96 pages at once and streamed at half the rate (measured at
            // 16,384 keys, GQA 32/8, d128: 26 -> 53 GB/s on two cores). Two key blocks per tile rather than one carry the
            // per-tile costs (softmax step, accumulator loads and stores, calls) over twice the keys: with the
            // microkernels' line-by-line prefetch, 62 -> 81 GB/s with K and V in L3 and 33 -> 36 GB/s from DRAM on two
            // cores; 12- and 16-key tiles, or 8-key register blocks, were no faster.
            KeyTile = 2 * keyBlock;
        }

        // Query tiles per work item: the packed queries and the output accumulators of an item
        // (2 * tiles * TileRows * HeadDim floats) stay within half of a 1 MB L2.
        MaxTilesPerItem = Math.Max(1, Math.Min(16, L2BudgetBytes / (2 * TileRows * spec.HeadDim * sizeof(float))));
    }

    /// <summary>Name of the emitted kernel class (<c>{Name}Tier</c>).</summary>
    public string Name { get; }

    /// <summary>The tier of the row vectors: which softmax, mask and layout helpers the driver uses.</summary>
    public VectorTier Tier { get; }

    /// <summary>
    /// Decode plan for AVX-512: a 4-row tile whose microkernels work on Vector512 registers. QK: four consecutive
    /// features of each of the 4 rows per register (lane 4r + p), so one 512-bit multiply-add covers four features
    /// of every row; PV: row-major accumulators, 16 features of one row each (FeatureBlock = features per block).
    /// A decode step does a quarter of the multiply-adds of the 128-bit 4-row tile. Needs HeadDim % 4 == 0; the
    /// scores keep the Vector128 tile's layout, the packed queries and accumulators do not (docs/kernel.md).
    /// </summary>
    public bool FeatureQuads { get; }

    /// <summary>Vectors per query tile: each microkernel keeps RowVectors x block accumulators.</summary>
    public int RowVectors { get; }

    /// <summary>Query rows per tile (query tokens x heads of a group), RowVectors vectors of lanes.</summary>
    public int TileRows { get; }

    /// <summary>Keys per QK register block: KeyBlock x RowVectors accumulators.</summary>
    public int KeyBlock { get; }

    /// <summary>Head-dimension features per PV register block: FeatureBlock x RowVectors accumulators.</summary>
    public int FeatureBlock { get; }

    /// <summary>Keys per key tile, a multiple of <see cref="KeyBlock"/>.</summary>
    public int KeyTile { get; }

    /// <summary>Most query tiles in one work item.</summary>
    public int MaxTilesPerItem { get; }

    /// <summary>Accumulator registers the QK microkernel keeps live (the quad plan: two per key).</summary>
    public int QkAccumulators => FeatureQuads ? 2 * KeyBlock : RowVectors * KeyBlock;

    /// <summary>Accumulator registers the PV microkernel keeps live (the quad plan: 16 features of one of the 4 rows each).</summary>
    public int PvAccumulators => FeatureQuads ? FeatureBlock / 16 * TileRows : RowVectors * FeatureBlock;

    /// <summary>
    /// The kernels emitted for a configuration, in the order the entry point considers them.
    /// Wide plans: Vector512 has 32 zmm registers, so 2 row vectors x 12 keys = 24 accumulators plus 2 query
    /// vectors and a broadcast (27 live); AVX2 and SSE have 16 registers: 2 x 6 = 12 accumulators + 3 = 15; the
    /// scalar path keeps 2 x 4 = 8 float accumulators. Narrow plans (one row vector, 12 x 1 accumulators + 2)
    /// serve calls with few rows per key/value head, such as a decode step (queryLength x Heads/KvGroups rows):
    /// a wide tile would spend most of its lanes on padding.
    /// </summary>
    public static IReadOnlyList<TilePlan> For(KernelSpec spec)
    {
        var plans = new List<TilePlan>
        {
            new("Vector512", VectorTier.Vector512, spec, rowVectors: 2, keyBlock: 12, featureBlock: 12),
            new("Vector512Narrow", VectorTier.Vector512, spec, rowVectors: 1, keyBlock: 12, featureBlock: 12),
            new("Vector256", VectorTier.Vector256, spec, rowVectors: 2, keyBlock: 6, featureBlock: 6),
            new("Vector128", VectorTier.Vector128, spec, rowVectors: 2, keyBlock: 6, featureBlock: 6),
            new("Vector128Narrow", VectorTier.Vector128, spec, rowVectors: 1, keyBlock: 12, featureBlock: 12),
            new("Scalar", VectorTier.Scalar, spec, rowVectors: 2, keyBlock: 4, featureBlock: 4),
        };
        if (spec.HeadDim % 4 == 0)
        {
            // QK: 4 keys x 2 accumulators (even and odd feature quads); PV: 64 features x 4 rows, 16 accumulators of 16 features.
            plans.Add(new("Vector512Quad", VectorTier.Vector128, spec, rowVectors: 1, keyBlock: 4, featureBlock: 64, featureQuads: true));
        }

        return plans;
    }
}
