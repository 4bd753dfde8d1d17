using System.Globalization;
using Attention.Generator.Model;

namespace Attention.Generator;

public sealed partial class AttentionGenerator
{
    /// <summary>
    /// One tier's kernel: the work-item driver (packing, key-tile bounds, masks, softmax, write-back) and the
    /// two register microkernels, all written against <see cref="VectorTier"/> so every tier shares this code.
    /// </summary>
    private static void EmitTier(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        VectorTier tier = plan.Tier;
        var layout = new ScratchLayout(spec, plan);
        writer.Line($"// {tier.Name}: {plan.TileRows}-row query tiles, {plan.KeyTile}-key tiles, {tier.Width} floats per vector.");
        using (writer.Block($"public static class {tier.Name}Tier"))
        {
            writer.Line($"public const int TileRows = {plan.TileRows};");
            writer.Line($"public const int KeyTile = {plan.KeyTile};");
            writer.Line($"public const int PaddedHeadDim = {plan.PaddedHeadDim};");
            writer.Line($"private const int Width = {tier.Width};");
            writer.Line();
            writer.Line($"// Scratch of one thread, in floats (offsets are multiples of 16 floats, one cache line):");
            writer.Line($"//   packedQuery  [{TilePlan.MaxTilesPerItem} tiles][HeadDim][TileRows]   at {layout.Query}");
            writer.Line($"//   acc          [{TilePlan.MaxTilesPerItem} tiles x TileRows][PaddedHeadDim] at {layout.Accumulators}");
            writer.Line($"//   rowMax       [{TilePlan.MaxTilesPerItem} tiles x TileRows]                at {layout.RowMax}");
            writer.Line($"//   rowSum       [{TilePlan.MaxTilesPerItem} tiles x TileRows][Width]         at {layout.RowSum}");
            writer.Line($"//   correction   [TileRows]                          at {layout.Correction}");
            writer.Line($"//   packedKey    [HeadDim][KeyTile]                  at {layout.Key}");
            writer.Line($"//   packedValue  [KeyTile][PaddedHeadDim]            at {layout.Value}");
            writer.Line($"//   scores       [TileRows][KeyTile]                 at {layout.Scores}");
            writer.Line($"public const int ScratchFloats = {layout.Total};");
            writer.Line();
            writer.Line("public static readonly KernelWorkItem WorkItem = Run;");
            writer.Line();
            EmitDriver(writer, spec, plan, layout);
            writer.Line();
            EmitScoresMicrokernel(writer, plan);
            writer.Line();
            EmitValuesMicrokernel(writer, plan);
        }
    }

    private static void EmitDriver(SourceWriter writer, KernelSpec spec, TilePlan plan, ScratchLayout layout)
    {
        VectorTier tier = plan.Tier;
        writer.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void Run(in KernelArguments arguments, int workItem, Span<float> scratch)"))
        {
            writer.Line("int queryLength = arguments.QueryLength;");
            writer.Line("int keyLength = arguments.KeyLength;");
            writer.Line("int tilesPerItem = arguments.TilesPerItem;");
            writer.Line("int rowsPerGroup = queryLength * HeadsPerGroup;");
            writer.Line("int tilesPerGroup = WorkPartition.DivideRoundingUp(rowsPerGroup, TileRows);");
            writer.Line("int itemsPerGroup = WorkPartition.DivideRoundingUp(tilesPerGroup, tilesPerItem);");
            writer.Line();
            if (spec.Causal)
            {
                writer.Line("// Items are numbered longest first: under the causal mask the last query tiles see the most keys,");
                writer.Line("// and the launcher hands out low numbers first.");
                writer.Line("int block = itemsPerGroup - 1 - workItem / KvGroups;");
            }
            else
            {
                writer.Line("int block = workItem / KvGroups;");
            }

            writer.Line("int group = workItem % KvGroups;");
            writer.Line("int firstTile = block * tilesPerItem;");
            writer.Line("int tileCount = Math.Min(tilesPerItem, tilesPerGroup - firstTile);");
            writer.Line("int firstRow = firstTile * TileRows;");
            writer.Line("int rowCount = Math.Min(tileCount * TileRows, rowsPerGroup - firstRow);");
            writer.Line();
            writer.Line("ref float scratchStart = ref MemoryMarshal.GetReference(scratch);");
            writer.Line("ref float packedQuery = ref scratchStart;");
            writer.Line($"ref float acc = ref Unsafe.Add(ref scratchStart, {layout.Accumulators});");
            writer.Line($"ref float rowMax = ref Unsafe.Add(ref scratchStart, {layout.RowMax});");
            writer.Line($"ref float rowSum = ref Unsafe.Add(ref scratchStart, {layout.RowSum});");
            writer.Line($"ref float correction = ref Unsafe.Add(ref scratchStart, {layout.Correction});");
            writer.Line($"ref float packedKey = ref Unsafe.Add(ref scratchStart, {layout.Key});");
            writer.Line($"ref float packedValue = ref Unsafe.Add(ref scratchStart, {layout.Value});");
            writer.Line($"ref float scores = ref Unsafe.Add(ref scratchStart, {layout.Scores});");
            writer.Line();
            writer.Line("// Pack this item's query tiles (QueryScale folded in) and start every row's softmax from nothing.");
            using (writer.Block("for (int tile = 0; tile < tileCount; tile++)"))
            {
                writer.Line("Packing.PackQueryTransposed(ref arguments.Query, firstRow + tile * TileRows, Math.Min(TileRows, rowCount - tile * TileRows), TileRows,");
                writer.Line("    Heads, HeadsPerGroup, group, HeadDim, QueryScale, ref Unsafe.Add(ref packedQuery, tile * HeadDim * TileRows));");
            }

            writer.Line($"scratch.Slice({layout.Accumulators}, tileCount * TileRows * PaddedHeadDim).Clear();");
            writer.Line($"scratch.Slice({layout.RowMax}, tileCount * TileRows).Fill(float.NegativeInfinity);");
            writer.Line($"scratch.Slice({layout.RowSum}, tileCount * TileRows * Width).Clear();");
            writer.Line();
            if (spec.HasMask)
            {
                writer.Line("// Keys any row of the item can see: from the first row's first visible key to the last row's last");
                writer.Line("// (rows are ordered by token, so positions grow with the row). Key tiles start on multiples of KeyTile.");
                writer.Line("int itemFirstPosition = TileBounds.Position(firstRow / HeadsPerGroup, queryLength, keyLength);");
                writer.Line("int itemLastPosition = TileBounds.Position((firstRow + rowCount - 1) / HeadsPerGroup, queryLength, keyLength);");
                writer.Line("int keyBegin = TileBounds.VisibleStart(itemFirstPosition, Window) / KeyTile * KeyTile;");
                writer.Line("int keyEnd = TileBounds.VisibleEnd(itemLastPosition, keyLength, Causal, Window);");
            }
            else
            {
                writer.Line("// No mask: every row sees every key.");
                writer.Line("int keyBegin = 0;");
                writer.Line("int keyEnd = keyLength;");
            }

            using (writer.Block("for (int keyTileStart = keyBegin; keyTileStart < keyEnd; keyTileStart += KeyTile)"))
            {
                writer.Line("int keys = Math.Min(KeyTile, keyLength - keyTileStart);");
                writer.Line("Packing.PackKeysTransposed(ref arguments.Key, keyTileStart, keys, KeyTile, KvGroups, group, HeadDim, ref packedKey);");
                writer.Line("Packing.PackValues(ref arguments.Value, keyTileStart, keys, KeyTile, KvGroups, group, HeadDim, PaddedHeadDim, ref packedValue);");
                using (writer.Block("for (int tile = 0; tile < tileCount; tile++)"))
                {
                    writer.Line("int tileFirstRow = firstRow + tile * TileRows;");
                    writer.Line("int tileRowCount = Math.Min(TileRows, rowCount - tile * TileRows);");
                    if (spec.HasMask)
                    {
                        writer.Line("int firstPosition = TileBounds.Position(tileFirstRow / HeadsPerGroup, queryLength, keyLength);");
                        writer.Line("int lastPosition = TileBounds.Position((tileFirstRow + tileRowCount - 1) / HeadsPerGroup, queryLength, keyLength);");
                        writer.Line("// Skip a key tile this query tile cannot see at all.");
                        using (writer.Block("if (keyTileStart >= TileBounds.VisibleEnd(lastPosition, keyLength, Causal, Window) || keyTileStart + KeyTile <= TileBounds.VisibleStart(firstPosition, Window))"))
                        {
                            writer.Line("continue;");
                        }

                        writer.Line();
                        writer.Line("// Interior tile: every row sees every key of it, so no element mask.");
                        writer.Line("bool interior = keys == KeyTile");
                        writer.Line("    && keyTileStart >= TileBounds.VisibleStart(lastPosition, Window)");
                        writer.Line("    && keyTileStart + KeyTile <= TileBounds.VisibleEnd(firstPosition, keyLength, Causal, Window);");
                    }
                    else
                    {
                        writer.Line("// Only the last key tile can hold padding past keyLength.");
                        writer.Line("bool interior = keys == KeyTile;");
                    }

                    writer.Line("ComputeScores(ref Unsafe.Add(ref packedQuery, tile * HeadDim * TileRows), ref packedKey, ref scores);");
                    using (writer.Block("if (!interior)"))
                    {
                        using (writer.Block("for (int row = 0; row < TileRows; row++)"))
                        {
                            writer.Line("// Rows past the sequence (tile padding) reuse the last real row's bounds; they are never written out.");
                            if (spec.HasMask)
                            {
                                writer.Line("int position = TileBounds.Position((tileFirstRow + Math.Min(row, tileRowCount - 1)) / HeadsPerGroup, queryLength, keyLength);");
                                writer.Line("TileMask.ApplyRow(ref Unsafe.Add(ref scores, row * KeyTile), keyTileStart, KeyTile,");
                                writer.Line("    TileBounds.VisibleStart(position, Window), TileBounds.VisibleEnd(position, keyLength, Causal, Window));");
                            }
                            else
                            {
                                writer.Line("TileMask.ApplyRow(ref Unsafe.Add(ref scores, row * KeyTile), keyTileStart, KeyTile, 0, keyLength);");
                            }
                        }
                    }

                    using (writer.Block("for (int row = 0; row < TileRows; row++)"))
                    {
                        writer.Line("int itemRow = tile * TileRows + row;");
                        writer.Line($"Unsafe.Add(ref correction, row) = OnlineSoftmax.UpdateRow{tier.Name}(ref Unsafe.Add(ref scores, row * KeyTile), KeyTile,");
                        writer.Line("    ref Unsafe.Add(ref rowMax, itemRow), ref Unsafe.Add(ref rowSum, itemRow * Width));");
                    }

                    writer.Line("AccumulateValues(ref scores, ref packedValue, ref correction, ref Unsafe.Add(ref acc, tile * TileRows * PaddedHeadDim));");
                }
            }

            writer.Line();
            writer.Line("// Normalize and write each real row; a row that saw no key has a zero sum and gets zeros.");
            using (writer.Block("for (int row = 0; row < rowCount; row++)"))
            {
                writer.Line("int flatRow = firstRow + row;");
                writer.Line("int token = flatRow / HeadsPerGroup;");
                writer.Line("int head = group * HeadsPerGroup + flatRow % HeadsPerGroup;");
                writer.Line("float normalizer = OnlineSoftmax.Normalizer(ref Unsafe.Add(ref rowSum, row * Width), Width);");
                writer.Line("ref float source = ref Unsafe.Add(ref acc, row * PaddedHeadDim);");
                writer.Line("ref float destination = ref Unsafe.Add(ref arguments.Output, ((nint)token * Heads + head) * HeadDim);");
                using (writer.Block("for (int d = 0; d < HeadDim; d++)"))
                {
                    writer.Line("Unsafe.Add(ref destination, d) = Unsafe.Add(ref source, d) * normalizer;");
                }
            }
        }
    }

    /// <summary>
    /// QK microkernel: scores[r][j] = sum_d q[d][r] * k[d][j] for the whole query tile against one key tile,
    /// TileRows x ColumnKeys at a time, every accumulator in a register. Per feature: ColumnVectors key loads
    /// and TileRows broadcasts feed TileRows x ColumnVectors multiply-adds.
    /// </summary>
    private static void EmitScoresMicrokernel(SourceWriter writer, TilePlan plan)
    {
        VectorTier tier = plan.Tier;
        writer.Line($"// scores[TileRows][KeyTile] = packedQuery^T . packedKey: {plan.TileRows} rows x {plan.ColumnKeys} keys per block,");
        writer.Line($"// {plan.QkAccumulators} accumulators; per feature {plan.ColumnVectors} key loads and {plan.TileRows} query broadcasts.");
        writer.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void ComputeScores(ref float packedQuery, ref float packedKey, ref float scores)"))
        {
            using (writer.Block($"for (int column = 0; column < KeyTile; column += {plan.ColumnKeys})"))
            {
                for (int r = 0; r < plan.TileRows; r++)
                {
                    writer.Line($"{tier.VectorType} {Join(plan.ColumnVectors, c => $"s{r}_{c} = {tier.Zero}")};");
                }

                writer.Line("ref float q = ref packedQuery;");
                writer.Line("ref float k = ref Unsafe.Add(ref packedKey, column);");
                using (writer.Block("for (int d = 0; d < HeadDim; d++)"))
                {
                    for (int c = 0; c < plan.ColumnVectors; c++)
                    {
                        writer.Line($"{tier.VectorType} k{c} = {tier.Load("k", (c * tier.Width).ToString(CultureInfo.InvariantCulture))};");
                    }

                    writer.Line($"{tier.VectorType} qr;");
                    for (int r = 0; r < plan.TileRows; r++)
                    {
                        writer.Line($"qr = {tier.Broadcast($"Unsafe.Add(ref q, {r})")};");
                        for (int c = 0; c < plan.ColumnVectors; c++)
                        {
                            writer.Line($"s{r}_{c} = {tier.MultiplyAdd("qr", $"k{c}", $"s{r}_{c}")};");
                        }
                    }

                    writer.Line("q = ref Unsafe.Add(ref q, TileRows);");
                    writer.Line("k = ref Unsafe.Add(ref k, KeyTile);");
                }

                for (int r = 0; r < plan.TileRows; r++)
                {
                    for (int c = 0; c < plan.ColumnVectors; c++)
                    {
                        writer.Line(tier.Store($"s{r}_{c}", "scores", $"{r} * KeyTile + column + {c * tier.Width}"));
                    }
                }
            }
        }
    }

    /// <summary>
    /// PV microkernel: acc[r][d] = acc[r][d] * correction[r] + sum_j p[r][j] * v[j][d], streaming the tile's
    /// accumulators through registers ChunkVectors vectors of the head dimension at a time (a narrower tail chunk
    /// covers the rest), so the rescale of the online softmax costs one multiply per accumulator load.
    /// </summary>
    private static void EmitValuesMicrokernel(SourceWriter writer, TilePlan plan)
    {
        VectorTier tier = plan.Tier;
        int vectors = plan.PaddedHeadDim / tier.Width;
        int mainChunks = vectors / plan.ChunkVectors;
        int tailVectors = vectors % plan.ChunkVectors;
        writer.Line($"// acc[TileRows][PaddedHeadDim] = acc * correction + probabilities . packedValue: {plan.TileRows} rows x {plan.ChunkVectors * tier.Width} features per chunk,");
        writer.Line($"// {plan.PvAccumulators} accumulators; {mainChunks} full chunk(s){(tailVectors > 0 ? $" and a {tailVectors}-vector tail chunk" : string.Empty)} cover PaddedHeadDim = {plan.PaddedHeadDim}.");
        writer.Line("[MethodImpl(MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void AccumulateValues(ref float probabilities, ref float packedValue, ref float correction, ref float acc)"))
        {
            if (mainChunks > 0)
            {
                using (writer.Block($"for (int chunk = 0; chunk < {mainChunks * plan.ChunkVectors * tier.Width}; chunk += {plan.ChunkVectors * tier.Width})"))
                {
                    EmitValuesChunk(writer, plan, plan.ChunkVectors, "chunk");
                }
            }

            if (tailVectors > 0)
            {
                using (writer.Block(string.Empty))
                {
                    writer.Line($"const int chunk = {mainChunks * plan.ChunkVectors * tier.Width};");
                    EmitValuesChunk(writer, plan, tailVectors, "chunk");
                }
            }
        }
    }

    private static void EmitValuesChunk(SourceWriter writer, TilePlan plan, int chunkVectors, string chunk)
    {
        VectorTier tier = plan.Tier;
        for (int r = 0; r < plan.TileRows; r++)
        {
            writer.Line($"{tier.VectorType} c{r} = {tier.Broadcast($"Unsafe.Add(ref correction, {r})")};");
            for (int c = 0; c < chunkVectors; c++)
            {
                writer.Line($"{tier.VectorType} a{r}_{c} = {tier.Load("acc", $"{r} * PaddedHeadDim + {chunk} + {c * tier.Width}")} * c{r};");
            }
        }

        writer.Line("ref float p = ref probabilities;");
        writer.Line($"ref float v = ref Unsafe.Add(ref packedValue, {chunk});");
        using (writer.Block("for (int j = 0; j < KeyTile; j++)"))
        {
            for (int c = 0; c < chunkVectors; c++)
            {
                writer.Line($"{tier.VectorType} v{c} = {tier.Load("v", (c * tier.Width).ToString(CultureInfo.InvariantCulture))};");
            }

            writer.Line($"{tier.VectorType} pr;");
            for (int r = 0; r < plan.TileRows; r++)
            {
                writer.Line($"pr = {tier.Broadcast($"Unsafe.Add(ref p, {r} * KeyTile)")};");
                for (int c = 0; c < chunkVectors; c++)
                {
                    writer.Line($"a{r}_{c} = {tier.MultiplyAdd("pr", $"v{c}", $"a{r}_{c}")};");
                }
            }

            writer.Line("p = ref Unsafe.Add(ref p, 1);");
            writer.Line("v = ref Unsafe.Add(ref v, PaddedHeadDim);");
        }

        for (int r = 0; r < plan.TileRows; r++)
        {
            for (int c = 0; c < chunkVectors; c++)
            {
                writer.Line(tier.Store($"a{r}_{c}", "acc", $"{r} * PaddedHeadDim + {chunk} + {c * tier.Width}"));
            }
        }
    }

    private static string Join(int count, Func<int, string> item) => string.Join(", ", Enumerable.Range(0, count).Select(item));

    /// <summary>Offsets of the per-thread scratch regions, each starting on a 64-byte boundary.</summary>
    private sealed class ScratchLayout
    {
        public ScratchLayout(KernelSpec spec, TilePlan plan)
        {
            int rows = TilePlan.MaxTilesPerItem * plan.TileRows;
            int offset = 0;
            Query = Take(ref offset, rows * spec.HeadDim);
            Accumulators = Take(ref offset, rows * plan.PaddedHeadDim);
            RowMax = Take(ref offset, rows);
            RowSum = Take(ref offset, rows * plan.Tier.Width);
            Correction = Take(ref offset, plan.TileRows);
            Key = Take(ref offset, spec.HeadDim * plan.KeyTile);
            Value = Take(ref offset, plan.KeyTile * plan.PaddedHeadDim);
            Scores = Take(ref offset, plan.TileRows * plan.KeyTile);
            Total = offset;
        }

        public int Query { get; }
        public int Accumulators { get; }
        public int RowMax { get; }
        public int RowSum { get; }
        public int Correction { get; }
        public int Key { get; }
        public int Value { get; }
        public int Scores { get; }
        public int Total { get; }

        private static int Take(ref int offset, int floats)
        {
            int start = offset;
            offset += (floats + 15) / 16 * 16;
            return start;
        }
    }
}
