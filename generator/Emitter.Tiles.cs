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
        writer.Line($"// {plan.Name}: {plan.TileRows}-row query tiles ({plan.RowVectors} vectors of {tier.Width} rows), {plan.KeyTile}-key tiles.");
        using (writer.Block($"public static class {plan.Name}Tier"))
        {
            writer.Line($"public const int TileRows = {plan.TileRows};");
            writer.Line($"public const int RowVectors = {plan.RowVectors};");
            writer.Line($"public const int KeyTile = {plan.KeyTile};");
            writer.Line($"public const int MaxTilesPerItem = {plan.MaxTilesPerItem};");
            writer.Line();
            writer.Line("// Scratch of one thread, in floats; each region starts on a 64-byte line.");
            writer.Line($"private const int QueryOffset = {layout.Query};            // packedQuery [MaxTilesPerItem][HeadDim][TileRows]: queries x QueryScale, rows in lanes");
            writer.Line($"private const int AccOffset = {layout.Accumulators};         // acc [MaxTilesPerItem][HeadDim][TileRows]: unnormalized output, rows in lanes");
            writer.Line($"private const int RowMaxOffset = {layout.RowMax};       // rowMax [MaxTilesPerItem][TileRows]");
            writer.Line($"private const int RowSumOffset = {layout.RowSum};       // rowSum [MaxTilesPerItem][TileRows]");
            writer.Line($"private const int RowStartOffset = {layout.RowStart};   // rowStart [MaxTilesPerItem][TileRows], int: first visible key per row");
            writer.Line($"private const int RowEndOffset = {layout.RowEnd};       // rowEnd [MaxTilesPerItem][TileRows], int: one past the interval's last key");
            writer.Line($"private const int RowAllowedEndOffset = {layout.RowAllowedEnd}; // rowAllowedEnd [MaxTilesPerItem][TileRows], int: one past the last key the causal bound allows");
            writer.Line($"private const int RowTokenOffset = {layout.RowToken};     // rowToken [MaxTilesPerItem][TileRows], int: query token of each row");
            writer.Line($"private const int TileSummaryOffset = {layout.TileSummary};  // tileSummary [MaxTilesPerItem][4], int: band and interior of each query tile");
            writer.Line($"private const int TileDecisionOffset = {layout.TileDecision}; // tileDecision [MaxTilesPerItem], int: what to do with the current key tile");
            writer.Line($"private const int CorrectionOffset = {layout.Correction}; // correction [TileRows]");
            writer.Line($"private const int KeyOffset = {layout.Key};          // packedKey [KeyTile][HeadDim]");
            writer.Line($"private const int ValueOffset = {layout.Value};        // packedValue [KeyTile][HeadDim]");
            writer.Line($"private const int ScoresOffset = {layout.Scores};       // scores [KeyTile][TileRows]: scores, then probabilities");
            if (spec.HasExtras)
            {
                writer.Line($"private const int SavedScoresOffset = {layout.SavedScores}; // savedScores [KeyTile][TileRows]: scores before the interval mask");
                writer.Line($"private const int PositionsOffset = {layout.Positions};   // positions [KeyTile], int: the keys of a gathered tile");
            }

            if (spec.Pattern.TopK > 0)
            {
                writer.Line($"private const int TopK = {spec.Pattern.TopK};");
                writer.Line($"private const int TopScoresOffset = {layout.TopScores};  // topScores [MaxTilesPerItem][TileRows][TopK]: each row's best scores so far");
                writer.Line($"private const int TopKeysOffset = {layout.TopKeys};    // topKeys [MaxTilesPerItem][TileRows][TopK], int: their keys");
                writer.Line($"private const int ThresholdOffset = {layout.Threshold};  // threshold [MaxTilesPerItem][TileRows]: the TopK-th best score");
                writer.Line($"private const int TieLimitOffset = {layout.TieLimit};   // tieLimit [MaxTilesPerItem][TileRows], int: last kept key with the threshold score");
            }

            writer.Line($"public const int ScratchFloats = {layout.Total};");
            writer.Line();
            writer.Line("public static readonly global::Attention.Kernels.KernelPlan Plan = new(Heads, KvGroups, HeadDim, TileRows, MaxTilesPerItem, KeyTile, ScratchFloats, Pattern);");
            writer.Line("public static readonly global::Attention.Kernels.KernelWorkItem WorkItem = Run;");
            writer.Line();
            EmitDriver(writer, spec, plan, layout);
            writer.Line();
            if (HasResiduePass(spec))
            {
                EmitResidueDriver(writer, spec, plan);
                writer.Line();
            }

            if (plan.FeatureQuads)
            {
                EmitQuadScoresMicrokernel(writer, spec, plan, "ComputeScores", "HeadDim", prefetch: false);
                writer.Line();
                EmitQuadScoresMicrokernel(writer, spec, plan, "ComputeScoresFromCache", "KvGroups * HeadDim", prefetch: true);
                writer.Line();
                EmitQuadValuesMicrokernel(writer, spec, plan, "AccumulateValues", "HeadDim", prefetch: false);
                writer.Line();
                EmitQuadValuesMicrokernel(writer, spec, plan, "AccumulateValuesFromCache", "KvGroups * HeadDim", prefetch: true);
            }
            else
            {
                EmitScoresMicrokernel(writer, plan);
                writer.Line();
                EmitValuesMicrokernel(writer, spec, plan);
            }
        }
    }

    private static void EmitDriver(SourceWriter writer, KernelSpec spec, TilePlan plan, ScratchLayout layout)
    {
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void Run(in global::Attention.Kernels.KernelArguments arguments, int workItem, global::System.Span<float> scratch)"))
        {
            if (HasResiduePass(spec))
            {
                writer.Line("// Items after the tile grid's are the strided pattern's residue pass (RunResidue).");
                using (writer.Block("if (workItem >= arguments.NormalItems)"))
                {
                    writer.Line("RunResidue(in arguments, workItem - arguments.NormalItems, scratch);");
                    writer.Line("return;");
                }

                writer.Line("// With a residue pass the tile grid does the intervals only and leaves partial records (split 0) for SplitMerge.");
                writer.Line("bool residuePass = arguments.ResidueItems > 0;");
            }

            writer.Line("int queryLength = arguments.QueryLength;");
            writer.Line("int keyLength = arguments.KeyLength;");
            writer.Line("int tilesPerItem = arguments.TilesPerItem;");
            writer.Line("int keySplits = arguments.KeySplits;");
            writer.Line("int rowsPerGroup = queryLength * HeadsPerGroup;");
            writer.Line("// How the call was cut (WorkPartition.Plan): item numbers are decoded with the same counts that produced them.");
            writer.Line("int tilesPerGroup = arguments.TilesPerGroup;");
            writer.Line("int itemsPerGroup = arguments.ItemsPerGroup;");
            writer.Line("int groupsPerItem = arguments.GroupsPerItem;");
            writer.Line("int groupBlocks = arguments.GroupBlocks;");
            writer.Line("// Item number = ((block * groupBlocks) + groupBlock) * keySplits + split. An item holds several key/value heads only");
            writer.Line("// when each has a single query tile (decode): it then walks whole token rows of the cache, page by page.");
            writer.Line("int split = workItem % keySplits;");
            writer.Line("int groupBlock = workItem / keySplits % groupBlocks;");
            if (spec.Causal)
            {
                writer.Line("// Blocks are numbered longest first: under the causal mask the last query tiles see the most keys,");
                writer.Line("// and the launcher hands out low numbers first.");
                writer.Line("int block = itemsPerGroup - 1 - workItem / keySplits / groupBlocks;");
            }
            else
            {
                writer.Line("int block = workItem / keySplits / groupBlocks;");
            }

            writer.Line("int firstGroup = groupBlock * groupsPerItem;");
            writer.Line("int groupCount = global::System.Math.Min(groupsPerItem, KvGroups - firstGroup);");
            writer.Line("int firstTile = block * tilesPerItem;");
            writer.Line("int tileCount = global::System.Math.Min(tilesPerItem, tilesPerGroup - firstTile);");
            writer.Line("int firstRow = firstTile * TileRows;");
            writer.Line("int rowCount = global::System.Math.Min(tileCount * TileRows, rowsPerGroup - firstRow);");
            writer.Line("// Item tile t is query tile t % tileCount of key/value head firstGroup + t / tileCount.");
            writer.Line("int itemTiles = groupCount * tileCount;");
            writer.Line();
            writer.Line("ref float scratchStart = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(scratch);");
            writer.Line("ref float packedQuery = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref scratchStart, QueryOffset);");
            writer.Line($"ref float acc = ref {Unsafe}.Add(ref scratchStart, AccOffset);");
            writer.Line($"ref float rowMax = ref {Unsafe}.Add(ref scratchStart, RowMaxOffset);");
            writer.Line($"ref float rowSum = ref {Unsafe}.Add(ref scratchStart, RowSumOffset);");
            foreach (string region in new[] { "rowStart", "rowEnd", "rowAllowedEnd", "rowToken", "tileSummary", "tileDecision" })
            {
                writer.Line($"ref int {region} = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, {char.ToUpperInvariant(region[0])}{region.Substring(1)}Offset));");
            }

            writer.Line($"ref float correction = ref {Unsafe}.Add(ref scratchStart, CorrectionOffset);");
            writer.Line($"ref float packedKey = ref {Unsafe}.Add(ref scratchStart, KeyOffset);");
            writer.Line($"ref float packedValue = ref {Unsafe}.Add(ref scratchStart, ValueOffset);");
            writer.Line($"ref float scores = ref {Unsafe}.Add(ref scratchStart, ScoresOffset);");
            if (spec.HasExtras)
            {
                writer.Line($"ref float savedScores = ref {Unsafe}.Add(ref scratchStart, SavedScoresOffset);");
            }

            writer.Line();
            writer.Line("// Per query tile: pack the queries (QueryScale folded in); note each row's visible interval, allowed end and token,");
            writer.Line("// and the tile's band (TilePattern.FillRows).");
            using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
            {
                writer.Line("int tileFirstRow = firstRow + tile % tileCount * TileRows;");
                writer.Line("int tileRowCount = global::System.Math.Min(TileRows, rowCount - tile % tileCount * TileRows);");
                writer.Line("global::Attention.Kernels.Packing.PackQueryTransposed(ref arguments.Query, tileFirstRow, tileRowCount, TileRows, Heads, HeadsPerGroup, firstGroup + tile / tileCount, HeadDim, QueryScale,");
                writer.Line($"    ref {Unsafe}.Add(ref packedQuery, tile * HeadDim * TileRows));");
                writer.Line("global::Attention.Kernels.TilePattern.FillRows(in arguments.Pattern, tileFirstRow, tileRowCount, TileRows, HeadsPerGroup,");
                writer.Line($"    ref {Unsafe}.Add(ref rowStart, tile * TileRows), ref {Unsafe}.Add(ref rowEnd, tile * TileRows), ref {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows),");
                writer.Line($"    ref {Unsafe}.Add(ref rowToken, tile * TileRows), ref {Unsafe}.Add(ref tileSummary, tile * global::Attention.Kernels.TilePattern.SummaryInts));");
            }

            EmitQuadQueryLayout(writer, plan);

            writer.Line();
            EmitFreshRowState(writer);
            if (spec.Pattern.TopK > 0)
            {
                writer.Line("global::Attention.Kernels.TopKSelection.Reset(scratch.Slice(TopScoresOffset), global::System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(scratch.Slice(TopKeysOffset)), itemTiles * TileRows * TopK);");
            }

            writer.Line();
            if (spec.HasExtras && !GathersExtras(spec))
            {
                writer.Line("// Extra keys (outside the intervals) can be anywhere a row is allowed to look: from key 0 to the largest allowed end");
                writer.Line("// (rows are ordered by token, so the last row of each query tile has it).");
                writer.Line("int keyBegin = 0;");
                writer.Line("int keyEnd = 0;");
                using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
                {
                    writer.Line($"keyEnd = global::System.Math.Max(keyEnd, {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows + TileRows - 1));");
                }
            }
            else if (spec.HasMask)
            {
                writer.Line("// Keys any row of the item can see: the union of the query tiles' bands. Key tiles start on multiples of KeyTile.");
                writer.Line("int keyBegin = int.MaxValue;");
                writer.Line("int keyEnd = 0;");
                using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
                {
                    writer.Line($"ref int summary = ref {Unsafe}.Add(ref tileSummary, tile * global::Attention.Kernels.TilePattern.SummaryInts);");
                    using (writer.Block($"if ({Unsafe}.Add(ref summary, 1) > summary)"))
                    {
                        writer.Line("keyBegin = global::System.Math.Min(keyBegin, summary);");
                        writer.Line($"keyEnd = global::System.Math.Max(keyEnd, {Unsafe}.Add(ref summary, 1));");
                    }
                }

                writer.Line("keyBegin = keyBegin == int.MaxValue ? 0 : keyBegin / KeyTile * KeyTile;");
            }
            else
            {
                writer.Line("// No compile-time mask: every row sees every key.");
                writer.Line("int keyBegin = 0;");
                writer.Line("int keyEnd = keyLength;");
            }

            writer.Line();
            writer.Line("// A split item (few rows, many keys: a decode step) covers only its part of the key range.");
            writer.Line("int splitBegin = split * arguments.KeysPerSplit;");
            writer.Line("keyBegin = global::System.Math.Max(keyBegin, splitBegin);");
            writer.Line("keyEnd = global::System.Math.Min(keyEnd, splitBegin + arguments.KeysPerSplit);");
            if (spec.Pattern.TopK > 0)
            {
                writer.Line("// Hard attention: pass 0 computes every visible score and keeps each row's TopK best; pass 1 recomputes the same");
                writer.Line("// scores and attends to the kept keys only.");
                using (writer.Block("for (int pass = 0; pass < 2; pass++)"))
                {
                    using (writer.Block("if (pass == 1)"))
                    {
                        writer.Line($"global::Attention.Kernels.TopKSelection.Finish(ref {Unsafe}.Add(ref scratchStart, TopScoresOffset), ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, TopKeysOffset)), itemTiles * TileRows, TopK,");
                        writer.Line($"    ref {Unsafe}.Add(ref scratchStart, ThresholdOffset), ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, TieLimitOffset)));");
                    }

                    writer.Line();
                    EmitKeyTileLoop(writer, spec, plan);
                }
            }
            else
            {
                EmitKeyTileLoop(writer, spec, plan);
            }

            writer.Line();
            using (writer.Block(HasResiduePass(spec) ? "if (keySplits > 1 || residuePass)" : "if (keySplits > 1)"))
            {
                writer.Line("// Leave (max, sum, acc) per row for SplitMerge, which combines the parts after every item is done.");
                using (writer.Block("for (int itemRow = 0; itemRow < itemTiles * TileRows; itemRow++)"))
                {
                    writer.Line("int tile = itemRow / TileRows;");
                    writer.Line("int row = tile % tileCount * TileRows + itemRow % TileRows;");
                    using (writer.Block("if (row < rowCount)"))
                    {
                        writer.Line("global::Attention.Kernels.SplitMerge.Store(ref arguments.Partials, (split * KvGroups + firstGroup + tile / tileCount) * rowsPerGroup + firstRow + row, HeadDim,");
                        writer.Line($"    global::System.Runtime.CompilerServices.Unsafe.Add(ref rowMax, itemRow), global::System.Runtime.CompilerServices.Unsafe.Add(ref rowSum, itemRow), ref global::System.Runtime.CompilerServices.Unsafe.Add(ref acc, {AccRowStart(plan)}), {AccFeatureStride(plan)});");
                    }
                }

                writer.Line("return;");
            }

            writer.Line();
            writer.Line("// Normalize and write each real row; a row that saw no key has a zero sum and gets zeros.");
            using (writer.Block("for (int itemRow = 0; itemRow < itemTiles * TileRows; itemRow++)"))
            {
                writer.Line("int tile = itemRow / TileRows;");
                writer.Line("int row = tile % tileCount * TileRows + itemRow % TileRows;");
                using (writer.Block("if (row >= rowCount)"))
                {
                    writer.Line("continue; // padding row of the last tile");
                }

                writer.Line("int flatRow = firstRow + row;");
                writer.Line("int token = flatRow / HeadsPerGroup;");
                writer.Line("int head = (firstGroup + tile / tileCount) * HeadsPerGroup + flatRow % HeadsPerGroup;");
                writer.Line("float normalizer = global::Attention.Kernels.OnlineSoftmax.Normalizer(global::System.Runtime.CompilerServices.Unsafe.Add(ref rowSum, itemRow));");
                writer.Line($"ref float source = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref acc, {AccRowStart(plan)});");
                writer.Line("ref float destination = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arguments.Output, ((global::System.IntPtr)token * Heads + head) * HeadDim);");
                using (writer.Block("for (int d = 0; d < HeadDim; d++)"))
                {
                    writer.Line($"global::System.Runtime.CompilerServices.Unsafe.Add(ref destination, d) = global::System.Runtime.CompilerServices.Unsafe.Add(ref source, d * {AccFeatureStride(plan)}) * normalizer;");
                }
            }
        }
    }

    /// <summary>
    /// The strided pattern's residue pass: queries grouped by position modulo the stride (a residue class), so a query
    /// tile's strided keys are the same for all its rows: the class's keys, gathered into packed tiles once per item and
    /// shared by its query tiles. Leaves partial records (split 1) that SplitMerge combines with the tile grid's.
    /// </summary>
    private static void EmitResidueDriver(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void RunResidue(in global::Attention.Kernels.KernelArguments arguments, int residueItem, global::System.Span<float> scratch)"))
        {
            writer.Line("int queryLength = arguments.QueryLength;");
            writer.Line("int rowsPerGroup = queryLength * HeadsPerGroup;");
            writer.Line("// Item = (key/value head, class, chunk of the class's rows); class c holds tokens c, c + Stride, ... (c < Stride).");
            writer.Line("int classes = global::System.Math.Min(Stride, queryLength);");
            writer.Line("int chunk = residueItem % arguments.ResidueChunks;");
            writer.Line("int firstToken = residueItem / arguments.ResidueChunks % classes;");
            writer.Line("int group = residueItem / arguments.ResidueChunks / classes;");
            writer.Line("int classRows = ((queryLength - 1 - firstToken) / Stride + 1) * HeadsPerGroup;");
            writer.Line("int firstRow = chunk * TileRows * MaxTilesPerItem;");
            writer.Line("int rowCount = global::System.Math.Min(TileRows * MaxTilesPerItem, classRows - firstRow);");
            using (writer.Block("if (rowCount <= 0)"))
            {
                writer.Line("return;");
            }

            writer.Line("int itemTiles = (rowCount + TileRows - 1) / TileRows;");
            writer.Line();
            writer.Line("ref float scratchStart = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(scratch);");
            writer.Line($"ref float packedQuery = ref {Unsafe}.Add(ref scratchStart, QueryOffset);");
            writer.Line($"ref float acc = ref {Unsafe}.Add(ref scratchStart, AccOffset);");
            writer.Line($"ref float rowMax = ref {Unsafe}.Add(ref scratchStart, RowMaxOffset);");
            writer.Line($"ref float rowSum = ref {Unsafe}.Add(ref scratchStart, RowSumOffset);");
            writer.Line($"ref int rowAllowedEnd = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, RowAllowedEndOffset));");
            writer.Line($"ref int rowToken = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, RowTokenOffset));");
            writer.Line($"ref int positions = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, PositionsOffset));");
            writer.Line($"ref float correction = ref {Unsafe}.Add(ref scratchStart, CorrectionOffset);");
            writer.Line($"ref float packedKey = ref {Unsafe}.Add(ref scratchStart, KeyOffset);");
            writer.Line($"ref float packedValue = ref {Unsafe}.Add(ref scratchStart, ValueOffset);");
            writer.Line($"ref float scores = ref {Unsafe}.Add(ref scratchStart, ScoresOffset);");
            writer.Line("int keyLimit = 0;");
            using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
            {
                writer.Line("int tileRowCount = global::System.Math.Min(TileRows, rowCount - tile * TileRows);");
                writer.Line("global::Attention.Kernels.Packing.PackQueryTransposedStrided(ref arguments.Query, firstToken, Stride, firstRow + tile * TileRows, tileRowCount, TileRows, Heads, HeadsPerGroup, group, HeadDim, QueryScale,");
                writer.Line($"    ref {Unsafe}.Add(ref packedQuery, tile * HeadDim * TileRows));");
                writer.Line("global::Attention.Kernels.TilePattern.FillResidueRows(in arguments.Pattern, firstToken, firstRow + tile * TileRows, tileRowCount, TileRows, HeadsPerGroup,");
                writer.Line($"    ref {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows), ref {Unsafe}.Add(ref rowToken, tile * TileRows));");
                writer.Line($"keyLimit = global::System.Math.Max(keyLimit, {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows + TileRows - 1));");
            }

            EmitQuadQueryLayout(writer, plan);

            writer.Line();
            EmitFreshRowState(writer);
            writer.Line();
            writer.Line("// The class's keys, KeyTile at a time, packed once and shared by every query tile of the item.");
            writer.Line("int count;");
            using (writer.Block("for (int listed = 0; (count = global::Attention.Kernels.TilePattern.ResidueKeys(in arguments.Pattern, firstToken, listed, keyLimit, ref positions, KeyTile)) > 0; listed += count)"))
            {
                writer.Line("global::Attention.Kernels.Packing.PackRowsGathered(ref arguments.Key, ref positions, count, KeyTile, KvGroups, group, HeadDim, ref packedKey);");
                writer.Line("global::Attention.Kernels.Packing.PackRowsGathered(ref arguments.Value, ref positions, count, KeyTile, KvGroups, group, HeadDim, ref packedValue);");
                using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
                {
                    writer.Line($"ComputeScores(ref {Unsafe}.Add(ref packedQuery, tile * HeadDim * TileRows), ref packedKey, ref scores, 0, KeyTile);");
                    writer.Line($"global::Attention.Kernels.TilePattern.MaskGathered(ref scores, ref positions, count, KeyTile, TileRows, ref {Unsafe}.Add(ref rowToken, tile * TileRows), ref {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows),");
                    writer.Line("    firstRow + tile * TileRows, group * HeadsPerGroup, HeadsPerGroup, in arguments.Pattern);");
                    EmitSoftmaxStep(writer, plan);
                    writer.Line($"AccumulateValues(ref scores, ref packedValue, ref correction, ref {Unsafe}.Add(ref acc, tile * HeadDim * TileRows), 0, KeyTile);");
                }
            }

            writer.Line();
            writer.Line("// Partial records of split 1, by each row's place in the tile grid (token, head of the group).");
            using (writer.Block("for (int itemRow = 0; itemRow < rowCount; itemRow++)"))
            {
                writer.Line("int classRow = firstRow + itemRow;");
                writer.Line("int flatRow = (firstToken + classRow / HeadsPerGroup * Stride) * HeadsPerGroup + classRow % HeadsPerGroup;");
                writer.Line("int tile = itemRow / TileRows;");
                writer.Line("global::Attention.Kernels.SplitMerge.Store(ref arguments.Partials, (KvGroups + group) * rowsPerGroup + flatRow, HeadDim,");
                writer.Line($"    {Unsafe}.Add(ref rowMax, itemRow), {Unsafe}.Add(ref rowSum, itemRow), ref {Unsafe}.Add(ref acc, {AccRowStart(plan)}), {AccFeatureStride(plan)});");
            }
        }
    }

    /// <summary>Strided kernels without TopK run the residue pass (the launcher's rule).</summary>
    private static bool HasResiduePass(KernelSpec spec) => spec.Pattern.Stride > 0 && spec.Pattern.TopK == 0;

    /// <summary>
    /// The loop over key tiles: per key/value head of the item, decide per query tile, pack the key tile (unless no
    /// query tile needs it), then per query tile scores, masks, bias, softmax step and P.V.
    /// </summary>
    private static void EmitKeyTileLoop(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        VectorTier tier = plan.Tier;
        using (writer.Block("for (int keyTileStart = keyBegin; keyTileStart < keyEnd; keyTileStart += KeyTile)"))
        {
            writer.Line("int keys = global::System.Math.Min(KeyTile, keyLength - keyTileStart);");
            using (writer.Block("for (int groupIndex = 0; groupIndex < groupCount; groupIndex++)"))
            {
                writer.Line("int group = firstGroup + groupIndex;");
                EmitTileDecisions(writer, spec);
                if (plan.FeatureQuads)
                {
                    writer.Line("// A whole key tile inside the sequence is read straight from the cache rows (the decode plan uses each key once,");
                    writer.Line("// so a copy would only add a pass over memory); a partial last tile is packed and zero-padded.");
                    writer.Line("bool direct = keys == KeyTile;");
                    using (writer.Block("if (!direct)"))
                    {
                        EmitPackRows(writer);
                    }

                    writer.Line("ref float cacheKey = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arguments.Key, ((global::System.IntPtr)keyTileStart * KvGroups + group) * HeadDim);");
                    writer.Line("ref float cacheValue = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref arguments.Value, ((global::System.IntPtr)keyTileStart * KvGroups + group) * HeadDim);");
                    writer.Line("// The microkernels prefetch the next key tile's rows of this head into L2 as they go, a line between a few");
                    writer.Line("// multiply-adds: issued as one burst per tile, the requests filled the miss buffers and held up the loads behind them");
                    writer.Line("// (single core, GQA 32/8 d128, K and V in L3: 35 -> 41 GB/s with 4-key tiles).");
                    writer.Line("// With no whole next tile inside the item, they re-touch this one's rows, which are in cache: every address stays in the tensors.");
                    writer.Line("bool prefetchNext = keyTileStart + 2 * KeyTile <= global::System.Math.Min(keyEnd, keyLength);");
                    writer.Line($"ref float nextKey = ref prefetchNext ? ref {Unsafe}.Add(ref cacheKey, KeyTile * KvGroups * HeadDim) : ref cacheKey;");
                    writer.Line($"ref float nextValue = ref prefetchNext ? ref {Unsafe}.Add(ref cacheValue, KeyTile * KvGroups * HeadDim) : ref cacheValue;");
                }
                else
                {
                    EmitPackRows(writer);
                    writer.Line("// The next key tile's rows are loaded into L2 while this one is computed: each query tile of the group asks for its");
                    writer.Line("// share of the rows, so the requests trickle out between microkernels instead of filling the miss buffers at once");
                    writer.Line("// (in a single-core harness of the d128 prefill loop, one burst per tile was about 2.5 % slower).");
                    writer.Line("int nextKeys = global::System.Math.Min(KeyTile, keyEnd - keyTileStart - KeyTile);");
                    writer.Line("int prefetchShare = (nextKeys + tileCount - 1) / tileCount;");
                }

                using (writer.Block("for (int tile = groupIndex * tileCount; tile < (groupIndex + 1) * tileCount; tile++)"))
                {
                    if (!plan.FeatureQuads)
                    {
                        writer.Line("int prefetchFirst = (tile - groupIndex * tileCount) * prefetchShare;");
                        writer.Line("int prefetchKeys = global::System.Math.Min(prefetchShare, nextKeys - prefetchFirst);");
                        writer.Line("global::Attention.Kernels.Packing.PrefetchRows(ref arguments.Key, keyTileStart + KeyTile + prefetchFirst, prefetchKeys, KvGroups, group, HeadDim);");
                        writer.Line("global::Attention.Kernels.Packing.PrefetchRows(ref arguments.Value, keyTileStart + KeyTile + prefetchFirst, prefetchKeys, KvGroups, group, HeadDim);");
                    }

                    writer.Line($"int decision = {Unsafe}.Add(ref tileDecision, tile);");
                    using (writer.Block("if (decision == 0)"))
                    {
                        writer.Line("continue;");
                    }

                    writer.Line();
                    writer.Line($"ref int tileStart = ref {Unsafe}.Add(ref rowStart, tile * TileRows);");
                    writer.Line($"ref int tileEnd = ref {Unsafe}.Add(ref rowEnd, tile * TileRows);");
                    writer.Line($"ref int tileToken = ref {Unsafe}.Add(ref rowToken, tile * TileRows);");
                    EmitActiveKeyBlocks(writer, spec, plan);
                    EmitMicrokernelCall(writer, plan, "ComputeScores", "cacheKey", "packedKey", "ref nextKey",
                        keys => $"ref global::System.Runtime.CompilerServices.Unsafe.Add(ref packedQuery, tile * HeadDim * TileRows), ref {keys}, ref scores, activeStart, activeEnd");
                    using (writer.Block("if ((decision & global::Attention.Kernels.TilePattern.PatternMask) != 0)"))
                    {
                        if (spec.HasExtras)
                        {
                            writer.Line("// Keep the scores: the interval mask hides everything outside each row's interval, then the extra keys come back.");
                            using (HasResiduePass(spec) ? writer.Block("if (!residuePass) // with a residue pass, that pass owns the strided keys") : default(SourceWriter.Scope?))
                            {
                                writer.Line("global::System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref scores, KeyTile * TileRows).CopyTo(global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref savedScores, KeyTile * TileRows));");
                            }
                        }

                        writer.Line($"global::Attention.Kernels.TileMask.Apply{tier.Name}(ref scores, KeyTile, RowVectors, keyTileStart, ref tileStart, ref tileEnd);");
                        if (spec.HasExtras)
                        {
                            using (HasResiduePass(spec) ? writer.Block("if (!residuePass)") : default(SourceWriter.Scope?))
                            {
                                writer.Line($"global::Attention.Kernels.TilePattern.RestoreExtras(ref scores, ref savedScores, keyTileStart, keys, TileRows, ref tileToken, ref {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows), in arguments.Pattern);");
                            }
                        }
                    }

                    using (writer.Block("if ((decision & global::Attention.Kernels.TilePattern.RuntimeMask) != 0)"))
                    {
                        writer.Line("global::Attention.Kernels.TilePattern.ApplyMask(ref scores, keyTileStart, keys, TileRows, ref tileToken, in arguments.Pattern);");
                    }

                    using (writer.Block("if (arguments.Pattern.HasBias)"))
                    {
                        writer.Line("global::Attention.Kernels.TilePattern.AddBias(ref scores, keyTileStart, keys, TileRows, ref tileToken, firstRow + tile % tileCount * TileRows, group * HeadsPerGroup, HeadsPerGroup, in arguments.Pattern);");
                    }

                    EmitTopKStep(writer, spec, "keyTileStart", "keys", $"{Unsafe}.NullRef<int>()");

                    EmitSoftmaxStep(writer, plan);
                    EmitMicrokernelCall(writer, plan, "AccumulateValues", "cacheValue", "packedValue", "ref nextValue",
                        values => $"ref scores, ref {values}, ref correction, ref global::System.Runtime.CompilerServices.Unsafe.Add(ref acc, tile * HeadDim * TileRows), activeStart, activeEnd");
                }
            }
        }

        if (GathersExtras(spec))
        {
            writer.Line();
            EmitGatheredPass(writer, spec, plan);
        }
    }

    /// <summary>
    /// The pattern's extra keys that the key-tile loop did not visit (outside each query tile's band), gathered per
    /// query tile into packed tiles of KeyTile keys, so an extra key costs one key rather than a whole key tile.
    /// </summary>
    private static void EmitGatheredPass(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        writer.Line("// Extra keys outside each query tile's band (global, random, strided, summary keys), gathered into packed tiles.");
        writer.Line($"ref int positions = ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, PositionsOffset));");
        using (writer.Block("for (int tile = 0; tile < itemTiles; tile++)"))
        {
            writer.Line("int group = firstGroup + tile / tileCount;");
            writer.Line($"ref int summary = ref {Unsafe}.Add(ref tileSummary, tile * global::Attention.Kernels.TilePattern.SummaryInts);");
            writer.Line("// The key tiles the loop above visited for this query tile: those meeting its band, within this item's split.");
            writer.Line($"int coveredStart = summary / KeyTile * KeyTile;");
            writer.Line($"int coveredEnd = {Unsafe}.Add(ref summary, 1) > summary ? global::System.Math.Min(keyLength, ({Unsafe}.Add(ref summary, 1) + KeyTile - 1) / KeyTile * KeyTile) : coveredStart;");
            writer.Line($"int firstToken = {Unsafe}.Add(ref rowToken, tile * TileRows);");
            writer.Line($"int lastToken = {Unsafe}.Add(ref rowToken, tile * TileRows + TileRows - 1);");
            writer.Line($"int limit = global::System.Math.Min(splitBegin + arguments.KeysPerSplit, {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows + TileRows - 1));");
            writer.Line("int cursor = splitBegin;");
            writer.Line("int count;");
            using (writer.Block("while ((count = global::Attention.Kernels.TilePattern.NextExtraKeys(in arguments.Pattern, firstToken, lastToken, ref cursor, coveredStart, coveredEnd, limit, ref positions, KeyTile)) > 0)"))
            {
                writer.Line("global::Attention.Kernels.Packing.PackRowsGathered(ref arguments.Key, ref positions, count, KeyTile, KvGroups, group, HeadDim, ref packedKey);");
                writer.Line("global::Attention.Kernels.Packing.PackRowsGathered(ref arguments.Value, ref positions, count, KeyTile, KvGroups, group, HeadDim, ref packedValue);");
                writer.Line($"ComputeScores(ref {Unsafe}.Add(ref packedQuery, tile * HeadDim * TileRows), ref packedKey, ref scores, 0, KeyTile);");
                writer.Line($"global::Attention.Kernels.TilePattern.MaskGathered(ref scores, ref positions, count, KeyTile, TileRows, ref {Unsafe}.Add(ref rowToken, tile * TileRows), ref {Unsafe}.Add(ref rowAllowedEnd, tile * TileRows),");
                writer.Line("    firstRow + tile % tileCount * TileRows, group * HeadsPerGroup, HeadsPerGroup, in arguments.Pattern);");
                EmitTopKStep(writer, spec, "0", "count", "positions");

                EmitSoftmaxStep(writer, plan);
                writer.Line($"AccumulateValues(ref scores, ref packedValue, ref correction, ref {Unsafe}.Add(ref acc, tile * HeadDim * TileRows), 0, KeyTile);");
            }
        }
    }

    /// <summary>
    /// Per query tile of the group, what to do with the current key tile (TilePattern's decision bits), decided before
    /// the key tile is packed so a key tile no query tile needs is never copied.
    /// </summary>
    private static void EmitTileDecisions(SourceWriter writer, KernelSpec spec)
    {
        writer.Line("// Decide per query tile: skip (0), visit, and whether the pattern or the run-time mask needs an element mask.");
        writer.Line("bool anyVisit = false;");
        using (writer.Block("for (int tile = groupIndex * tileCount; tile < (groupIndex + 1) * tileCount; tile++)"))
        {
            writer.Line($"ref int summary = ref {Unsafe}.Add(ref tileSummary, tile * global::Attention.Kernels.TilePattern.SummaryInts);");
            writer.Line("// In the band (the union of the rows' intervals)? Inside every row's interval (the interior), no element mask.");
            writer.Line($"bool inBand = keyTileStart < {Unsafe}.Add(ref summary, 1) && keyTileStart + KeyTile > summary;");
            writer.Line($"bool interior = keys == KeyTile && keyTileStart >= {Unsafe}.Add(ref summary, 2) && keyTileStart + KeyTile <= {Unsafe}.Add(ref summary, 3);");
            writer.Line("int decision = !inBand ? 0 : interior ? global::Attention.Kernels.TilePattern.Visit : global::Attention.Kernels.TilePattern.Visit | global::Attention.Kernels.TilePattern.PatternMask;");
            if (spec.HasExtras && !GathersExtras(spec))
            {
                writer.Line("// Outside the band only the pattern's extra keys (random blocks, strided keys) can be visible: visit such tiles too.");
                using (writer.Block($"if (!inBand{(HasResiduePass(spec) ? " && !residuePass" : string.Empty)} && global::Attention.Kernels.TilePattern.HasExtraKeys(in arguments.Pattern, " +
                    $"{Unsafe}.Add(ref rowToken, tile * TileRows), {Unsafe}.Add(ref rowToken, tile * TileRows + TileRows - 1), keyTileStart, keys))"))
                {
                    writer.Line("decision = global::Attention.Kernels.TilePattern.Visit | global::Attention.Kernels.TilePattern.PatternMask;");
                }
            }

            writer.Line("// A run-time mask that is false on the whole tile skips it; true on the whole tile needs no element mask.");
            using (writer.Block("if (decision != 0 && arguments.Pattern.HasMask)"))
            {
                writer.Line("int masked = global::Attention.Kernels.TilePattern.ClassifyMask(in arguments.Pattern, " +
                    $"{Unsafe}.Add(ref rowToken, tile * TileRows), {Unsafe}.Add(ref rowToken, tile * TileRows + TileRows - 1), keyTileStart, keys);");
                writer.Line("decision = masked == 0 ? 0 : decision | masked;");
            }

            writer.Line($"{Unsafe}.Add(ref tileDecision, tile) = decision;");
            writer.Line("anyVisit |= decision != 0;");
        }

        using (writer.Block("if (!anyVisit)"))
        {
            writer.Line("continue;");
        }

        writer.Line();
    }

    /// <summary>
    /// QK microkernel: scores[j][r] = sum_d k[j][d] * q[d][r] for the whole query tile against one key tile,
    /// KeyBlock keys at a time. Per feature: RowVectors query loads and KeyBlock key broadcasts feed
    /// KeyBlock x RowVectors multiply-adds, every accumulator in a register.
    /// </summary>
    private static void EmitScoresMicrokernel(SourceWriter writer, TilePlan plan)
    {
        VectorTier tier = plan.Tier;
        writer.Line($"// scores[KeyTile][TileRows] = packedKey . packedQuery: {plan.KeyBlock} keys x {plan.TileRows} rows per block, {plan.QkAccumulators} accumulators;");
        writer.Line($"// per feature {plan.RowVectors} query loads and {plan.KeyBlock} key broadcasts.");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void ComputeScores(ref float packedQuery, ref float packedKey, ref float scores, int keyStart, int keyEnd)"))
        {
            using (writer.Block($"for (int keyBlock = keyStart; keyBlock < keyEnd; keyBlock += {plan.KeyBlock})"))
            {
                for (int k = 0; k < plan.KeyBlock; k++)
                {
                    writer.Line($"{tier.VectorType} {Join(plan.RowVectors, v => $"s{k}_{v} = {tier.Zero}")};");
                }

                writer.Line("ref float q = ref packedQuery;");
                writer.Line("ref float k = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref packedKey, keyBlock * HeadDim);");
                using (writer.Block("for (int d = 0; d < HeadDim; d++)"))
                {
                    for (int v = 0; v < plan.RowVectors; v++)
                    {
                        writer.Line($"{tier.VectorType} q{v} = {tier.Load("q", Int(v * tier.Width))};");
                    }

                    writer.Line($"{tier.VectorType} kd;");
                    for (int k = 0; k < plan.KeyBlock; k++)
                    {
                        writer.Line($"kd = {tier.Broadcast($"global::System.Runtime.CompilerServices.Unsafe.Add(ref k, {k} * HeadDim)")};");
                        for (int v = 0; v < plan.RowVectors; v++)
                        {
                            writer.Line($"s{k}_{v} = {tier.MultiplyAdd("kd", $"q{v}", $"s{k}_{v}")};");
                        }
                    }

                    writer.Line("q = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref q, TileRows);");
                    writer.Line("k = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref k, 1);");
                }

                writer.Line("ref float blockScores = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref scores, keyBlock * TileRows);");
                for (int k = 0; k < plan.KeyBlock; k++)
                {
                    for (int v = 0; v < plan.RowVectors; v++)
                    {
                        writer.Line(tier.Store($"s{k}_{v}", "blockScores", Int(k * plan.TileRows + v * tier.Width)));
                    }
                }
            }
        }
    }

    /// <summary>
    /// PV microkernel: acc[d][r] = acc[d][r] * correction[r] + sum_j v[j][d] * p[j][r], streaming the tile's
    /// accumulators through registers FeatureBlock features at a time (a narrower block takes the rest), so the
    /// online softmax's rescale costs one multiply per accumulator load, and nothing when every correction is 1
    /// (the common case: <c>OnlineSoftmax</c> moves a row's reference maximum only on a large rise).
    /// </summary>
    private static void EmitValuesMicrokernel(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        int fullBlocks = spec.HeadDim / plan.FeatureBlock;
        int tailFeatures = spec.HeadDim % plan.FeatureBlock;
        writer.Line($"// acc[HeadDim][TileRows] = acc * correction + packedValue^T . probabilities: {plan.FeatureBlock} features x {plan.TileRows} rows per block,");
        writer.Line($"// {plan.PvAccumulators} accumulators; {fullBlocks} full block(s){(tailFeatures > 0 ? $" and a {tailFeatures}-feature block" : string.Empty)} cover HeadDim = {spec.HeadDim}.");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block("private static void AccumulateValues(ref float probabilities, ref float packedValue, ref float correction, ref float acc, int keyStart, int keyEnd)"))
        {
            VectorTier tier = plan.Tier;
            string anyCorrection = string.Join(" || ", Enumerable.Range(0, plan.RowVectors).Select(v => $"{tier.Load("correction", Int(v * tier.Width))} != {tier.One}"));
            writer.Line("// The online softmax moves a row's reference maximum only on a large rise, so after the first tiles every");
            writer.Line("// correction is usually exactly 1 and the rescale (one multiply per accumulator) is skipped.");
            writer.Line($"bool rescale = {anyCorrection};");
            if (fullBlocks > 0)
            {
                using (writer.Block($"for (int feature = 0; feature < {fullBlocks * plan.FeatureBlock}; feature += {plan.FeatureBlock})"))
                {
                    EmitValuesBlock(writer, plan, plan.FeatureBlock);
                }
            }

            if (tailFeatures > 0)
            {
                using (writer.Block(string.Empty))
                {
                    writer.Line($"const int feature = {fullBlocks * plan.FeatureBlock};");
                    EmitValuesBlock(writer, plan, tailFeatures);
                }
            }
        }
    }

    private static void EmitValuesBlock(SourceWriter writer, TilePlan plan, int features)
    {
        VectorTier tier = plan.Tier;
        // Constant offsets from one block reference let every load and store use an immediate displacement.
        writer.Line("ref float block = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref acc, feature * TileRows);");
        for (int f = 0; f < features; f++)
        {
            for (int v = 0; v < plan.RowVectors; v++)
            {
                writer.Line($"{tier.VectorType} a{f}_{v} = {tier.Load("block", Int(f * plan.TileRows + v * tier.Width))};");
            }
        }

        using (writer.Block("if (rescale)"))
        {
            for (int v = 0; v < plan.RowVectors; v++)
            {
                writer.Line($"{tier.VectorType} c{v} = {tier.Load("correction", Int(v * tier.Width))};");
            }

            for (int f = 0; f < features; f++)
            {
                for (int v = 0; v < plan.RowVectors; v++)
                {
                    writer.Line($"a{f}_{v} *= c{v};");
                }
            }
        }

        writer.Line("ref float p = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref probabilities, keyStart * TileRows);");
        writer.Line("ref float value = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref packedValue, keyStart * HeadDim + feature);");
        using (writer.Block("for (int j = keyStart; j < keyEnd; j++)"))
        {
            for (int v = 0; v < plan.RowVectors; v++)
            {
                writer.Line($"{tier.VectorType} p{v} = {tier.Load("p", Int(v * tier.Width))};");
            }

            writer.Line($"{tier.VectorType} vd;");
            for (int f = 0; f < features; f++)
            {
                writer.Line($"vd = {tier.Broadcast($"global::System.Runtime.CompilerServices.Unsafe.Add(ref value, {f})")};");
                for (int v = 0; v < plan.RowVectors; v++)
                {
                    writer.Line($"a{f}_{v} = {tier.MultiplyAdd("vd", $"p{v}", $"a{f}_{v}")};");
                }
            }

            writer.Line("p = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref p, TileRows);");
            writer.Line("value = ref global::System.Runtime.CompilerServices.Unsafe.Add(ref value, HeadDim);");
        }

        for (int f = 0; f < features; f++)
        {
            for (int v = 0; v < plan.RowVectors; v++)
            {
                writer.Line(tier.Store($"a{f}_{v}", "block", Int(f * plan.TileRows + v * tier.Width)));
            }
        }
    }

    private const string V512 = "global::System.Runtime.Intrinsics.Vector512";
    private const string V128 = "global::System.Runtime.Intrinsics.Vector128";
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    private const string QuadLanes = "global::Attention.Kernels.QuadLanes";
    private const string PrefetchLine = "global::Attention.Kernels.Packing.PrefetchLine";

    /// <summary>
    /// Quad QK microkernel (4-row decode tile, AVX-512). Registers are row-major, lane 4r + p = feature d + p of
    /// row r (the packed queries are stored that way for this plan), so per four features a key costs one 128-bit
    /// broadcast load and one multiply-add, no shuffle. Blocks of fewer than 8 keys keep two accumulators per key
    /// (even and odd feature quads) so enough multiply-adds are in flight to hide their latency. At the end the
    /// quarters of four keys at a time are summed into scores[key][row].
    /// </summary>
    private static void EmitQuadScoresMicrokernel(SourceWriter writer, KernelSpec spec, TilePlan plan, string name, string keyStride, bool prefetch)
    {
        if (plan.KeyBlock % 4 != 0)
        {
            throw new InvalidOperationException("The quad QK block sums its keys four at a time.");
        }

        int chains = plan.KeyBlock >= 8 ? 1 : 2;
        int step = 4 * chains;
        // With prefetching, each pass of the feature loop covers one 64-byte line of every key row where HeadDim allows
        // (one prefetch per key row and line); otherwise a pass is one step.
        int stepsPerPass = prefetch && spec.HeadDim / step >= 16 / step && spec.HeadDim / step % (16 / step) == 0 ? 16 / step : 1;
        int pass = step * stepsPerPass;
        int mainFeatures = spec.HeadDim / pass * pass;
        writer.Line($"// scores[KeyTile][4] = packedKey . packedQuery, {plan.KeyBlock} keys per block, {chains} Vector512 accumulator(s) per key whose");
        writer.Line("// lane 4r + p sums feature d + p of row r: a key's four features are one broadcast load, no shuffle.");
        writer.Line($"// Key rows are {keyStride} floats apart.{(prefetch ? " Each pass over a line of the rows asks for the same line of nextKey's rows." : string.Empty)}");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block($"private static void {name}(ref float packedQuery, ref float packedKey, ref float scores, int keyStart, int keyEnd{(prefetch ? ", ref float nextKey" : string.Empty)})"))
        {
            using (writer.Block($"for (int keyBlock = keyStart; keyBlock < keyEnd; keyBlock += {plan.KeyBlock})"))
            {
                for (int c = 0; c < chains; c++)
                {
                    writer.Line($"{V512}<float> {Join(plan.KeyBlock, k => $"s{k}_{c} = {V512}<float>.Zero")};");
                }

                writer.Line("ref float q = ref packedQuery;");
                writer.Line($"ref float k = ref {Unsafe}.Add(ref packedKey, keyBlock * {keyStride});");
                if (prefetch)
                {
                    writer.Line($"ref float next = ref {Unsafe}.Add(ref nextKey, keyBlock * {keyStride});");
                }

                using (writer.Block($"for (int d = 0; d < {mainFeatures}; d += {pass})"))
                {
                    for (int s = 0; s < stepsPerPass; s++)
                    {
                        using (stepsPerPass > 1 ? writer.Block(string.Empty) : default(SourceWriter.Scope?))
                        {
                            EmitQuadScoreSteps(writer, plan, keyStride, chains, s * step, s * 16 * chains);
                        }
                    }

                    if (prefetch)
                    {
                        for (int k = 0; k < plan.KeyBlock; k++)
                        {
                            writer.Line($"{PrefetchLine}(ref {Unsafe}.Add(ref next, {k} * {keyStride}));");
                        }

                        writer.Line($"next = ref {Unsafe}.Add(ref next, {pass});");
                    }

                    writer.Line($"q = ref {Unsafe}.Add(ref q, {16 * chains * stepsPerPass});");
                    writer.Line($"k = ref {Unsafe}.Add(ref k, {pass});");
                }

                for (int quad = mainFeatures; quad < spec.HeadDim; quad += 4)
                {
                    writer.Line($"// HeadDim = {spec.HeadDim}: feature quad {quad / 4}.");
                    using (writer.Block(string.Empty))
                    {
                        EmitQuadScoreSteps(writer, plan, keyStride, 1, quad - mainFeatures, 4 * (quad - mainFeatures));
                    }
                }

                if (prefetch)
                {
                    writer.Line("// A row that does not start on a line boundary ends in one line more.");
                    for (int k = 0; k < plan.KeyBlock; k++)
                    {
                        writer.Line($"{PrefetchLine}(ref {Unsafe}.Add(ref nextKey, (keyBlock + {k}) * {keyStride} + HeadDim - 1));");
                    }
                }

                writer.Line($"ref float blockScores = ref {Unsafe}.Add(ref scores, keyBlock * TileRows);");
                for (int k = 0; k < plan.KeyBlock; k += 4)
                {
                    string Sum(int key) => chains == 1 ? $"s{key}_0" : $"s{key}_0 + s{key}_1";
                    writer.Line($"{V512}.StoreUnsafe({QuadLanes}.SumQuarters({Sum(k)}, {Sum(k + 1)}, {Sum(k + 2)}, {Sum(k + 3)}), ref blockScores, (global::System.UIntPtr){k * plan.TileRows});");
                }
            }
        }
    }

    /// <summary>One step of the quad QK loop: <paramref name="chains"/> feature quads of every key of the block,
    /// <paramref name="keyOffset"/> floats into the key rows and <paramref name="queryOffset"/> into the packed queries.</summary>
    private static void EmitQuadScoreSteps(SourceWriter writer, TilePlan plan, string keyStride, int chains, int keyOffset, int queryOffset)
    {
        for (int c = 0; c < chains; c++)
        {
            writer.Line($"{V512}<float> q{c} = {V512}.LoadUnsafe(ref q, (global::System.UIntPtr){queryOffset + 16 * c});");
            for (int k = 0; k < plan.KeyBlock; k++)
            {
                writer.Line($"s{k}_{c} = {V512}.MultiplyAddEstimate({QuadLanes}.BroadcastQuad(ref {Unsafe}.Add(ref k, {k} * {keyStride} + {keyOffset + 4 * c})), q{c}, s{k}_{c});");
            }
        }
    }

    /// <summary>
    /// Quad PV microkernel. For this plan acc is row-major, acc[4 rows][HeadDim], so each accumulator holds 16
    /// consecutive features of one row: per key, one plain load per 16 features of the value row, one broadcast of
    /// each row's probability (a load), and 4 multiply-adds per load. Up to 64 features per block (16 accumulators);
    /// a HeadDim that is not a multiple of 16 ends with 128-bit accumulators of four features.
    /// </summary>
    private static void EmitQuadValuesMicrokernel(SourceWriter writer, KernelSpec spec, TilePlan plan, string name, string valueStride, bool prefetch)
    {
        int chunksPerBlock = plan.FeatureBlock / 16;
        int chunks = spec.HeadDim / 16;
        int fullBlocks = chunks / chunksPerBlock;
        int tailChunks = chunks % chunksPerBlock;
        int tailQuads = spec.HeadDim % 16 / 4;
        writer.Line($"// acc[4][HeadDim] = acc * correction + probabilities^T . values, row-major: {chunksPerBlock * 16} features x 4 rows per block");
        writer.Line($"// ({chunksPerBlock * 4} accumulators); {fullBlocks} full block(s){(tailChunks > 0 ? $", a {tailChunks * 16}-feature block" : string.Empty)}{(tailQuads > 0 ? $", {tailQuads} four-feature quad(s)" : string.Empty)} cover HeadDim = {spec.HeadDim}.");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        using (writer.Block($"private static void {name}(ref float probabilities, ref float packedValue, ref float correction, ref float acc, int keyStart, int keyEnd{(prefetch ? ", ref float nextValue" : string.Empty)})"))
        {
            writer.Line($"// Value rows are {valueStride} floats apart. Once the running maxima settle, corrections are all 1: skip the rescale.");
            writer.Line($"bool rescale = {V128}.LoadUnsafe(ref correction) != {V128}<float>.One;");
            if (prefetch)
            {
                writer.Line("// Each key's 16-feature loads ask for the same lines of nextValue's row; a row that does not start on a line");
                writer.Line("// boundary ends in one line more, asked for here.");
                using (writer.Block("for (int j = keyStart; j < keyEnd; j++)"))
                {
                    writer.Line($"{PrefetchLine}(ref {Unsafe}.Add(ref nextValue, (global::System.IntPtr)j * {valueStride} + HeadDim - 1));");
                }
            }

            if (fullBlocks > 0)
            {
                using (writer.Block($"for (int feature = 0; feature < {fullBlocks * chunksPerBlock * 16}; feature += {chunksPerBlock * 16})"))
                {
                    EmitQuadValuesBlock(writer, V512, 16, chunksPerBlock, valueStride, prefetch);
                }
            }

            if (tailChunks > 0)
            {
                using (writer.Block(string.Empty))
                {
                    writer.Line($"const int feature = {fullBlocks * chunksPerBlock * 16};");
                    EmitQuadValuesBlock(writer, V512, 16, tailChunks, valueStride, prefetch);
                }
            }

            if (tailQuads > 0)
            {
                using (writer.Block(string.Empty))
                {
                    writer.Line($"const int feature = {chunks * 16};");
                    EmitQuadValuesBlock(writer, V128, 4, tailQuads, valueStride, prefetch: false);
                }
            }
        }
    }

    private static void EmitQuadValuesBlock(SourceWriter writer, string vector, int width, int pieces, string valueStride, bool prefetch)
    {
        writer.Line($"ref float block = ref {Unsafe}.Add(ref acc, feature);");
        for (int r = 0; r < 4; r++)
        {
            for (int f = 0; f < pieces; f++)
            {
                writer.Line($"{vector}<float> a{r}_{f} = {vector}.LoadUnsafe(ref block, (global::System.UIntPtr)({r} * HeadDim + {f * width}));");
            }
        }

        using (writer.Block("if (rescale)"))
        {
            for (int r = 0; r < 4; r++)
            {
                writer.Line($"{vector}<float> c{r} = {vector}.Create({Unsafe}.Add(ref correction, {r}));");
                for (int f = 0; f < pieces; f++)
                {
                    writer.Line($"a{r}_{f} *= c{r};");
                }
            }
        }

        writer.Line($"ref float p = ref {Unsafe}.Add(ref probabilities, keyStart * TileRows);");
        writer.Line($"ref float value = ref {Unsafe}.Add(ref packedValue, (global::System.IntPtr)keyStart * {valueStride} + feature);");
        if (prefetch)
        {
            writer.Line($"ref float next = ref {Unsafe}.Add(ref nextValue, (global::System.IntPtr)keyStart * {valueStride} + feature);");
        }

        using (writer.Block("for (int j = keyStart; j < keyEnd; j++)"))
        {
            for (int f = 0; f < pieces; f++)
            {
                writer.Line($"{vector}<float> v{f} = {vector}.LoadUnsafe(ref value, (global::System.UIntPtr){f * width});");
                if (prefetch)
                {
                    writer.Line($"{PrefetchLine}(ref {Unsafe}.Add(ref next, {f * width}));");
                }
            }

            for (int r = 0; r < 4; r++)
            {
                writer.Line($"{vector}<float> p{r} = {vector}.Create({Unsafe}.Add(ref p, {r}));");
                for (int f = 0; f < pieces; f++)
                {
                    writer.Line($"a{r}_{f} = {vector}.MultiplyAddEstimate(v{f}, p{r}, a{r}_{f});");
                }
            }

            writer.Line($"p = ref {Unsafe}.Add(ref p, TileRows);");
            writer.Line($"value = ref {Unsafe}.Add(ref value, {valueStride});");
            if (prefetch)
            {
                writer.Line($"next = ref {Unsafe}.Add(ref next, {valueStride});");
            }
        }

        for (int r = 0; r < 4; r++)
        {
            for (int f = 0; f < pieces; f++)
            {
                writer.Line($"{vector}.StoreUnsafe(a{r}_{f}, ref block, (global::System.UIntPtr)({r} * HeadDim + {f * width}));");
            }
        }
    }

    /// <summary>
    /// The key blocks of the tile the microkernels visit: all of them, except on a boundary tile (PatternMask) of a
    /// pattern without extra keys, where blocks outside the query tile's band (keys no row can see, such as those past
    /// the causal diagonal or before a window's left edge) are skipped. Their stale scores are then hidden by the
    /// interval mask, so the softmax gives them probability 0 and the PV microkernel need not read them.
    /// </summary>
    private static void EmitActiveKeyBlocks(SourceWriter writer, KernelSpec spec, TilePlan plan)
    {
        writer.Line("int activeStart = 0;");
        writer.Line("int activeEnd = KeyTile;");
        if (spec.HasExtras)
        {
            return; // extra keys can sit anywhere in the tile and are restored from the computed scores
        }

        using (writer.Block("if ((decision & global::Attention.Kernels.TilePattern.PatternMask) != 0)"))
        {
            writer.Line($"ref int band = ref {Unsafe}.Add(ref tileSummary, tile * global::Attention.Kernels.TilePattern.SummaryInts);");
            writer.Line($"activeStart = global::System.Math.Max(0, band - keyTileStart) / {plan.KeyBlock} * {plan.KeyBlock};");
            writer.Line($"activeEnd = global::System.Math.Min(KeyTile, ({Unsafe}.Add(ref band, 1) - keyTileStart + {plan.KeyBlock - 1}) / {plan.KeyBlock} * {plan.KeyBlock});");
        }
    }

    /// <summary>
    /// Hard attention (TopK), between the masks and the softmax: pass 0 collects each row's best scores of the tile and
    /// skips the rest of the step; pass 1 hides every key not kept. <paramref name="positions"/> names the tile's key
    /// positions when they were gathered (a null ref when the tile is keys <c>firstKey .. firstKey + keys - 1</c>).
    /// </summary>
    private static void EmitTopKStep(SourceWriter writer, KernelSpec spec, string firstKey, string keys, string positions)
    {
        if (spec.Pattern.TopK == 0)
        {
            return;
        }

        using (writer.Block("if (pass == 0)"))
        {
            writer.Line($"global::Attention.Kernels.TopKSelection.Collect(ref scores, {firstKey}, {keys}, TileRows, TopK, ref {Unsafe}.Add(ref scratchStart, TopScoresOffset + tile * TileRows * TopK),");
            writer.Line($"    ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, TopKeysOffset + tile * TileRows * TopK)), ref {positions});");
            writer.Line("continue;");
        }

        writer.Line($"global::Attention.Kernels.TopKSelection.Apply(ref scores, {firstKey}, {keys}, TileRows, ref {Unsafe}.Add(ref scratchStart, ThresholdOffset + tile * TileRows),");
        writer.Line($"    ref {Unsafe}.As<float, int>(ref {Unsafe}.Add(ref scratchStart, TieLimitOffset + tile * TileRows)), ref {positions});");
    }

    /// <summary>The online-softmax step on the scores of one query tile (OnlineSoftmax): one Vector512 for the quad plan's 4 x 4 tile.</summary>
    /// <summary>Resets the online-softmax state of the item's rows (both item runners: the key-tile pass and the residue pass).</summary>
    private static void EmitFreshRowState(SourceWriter writer)
    {
        writer.Line("// Every row starts its online softmax from nothing: max -inf, sum 0, output 0.");
        writer.Line("scratch.Slice(AccOffset, itemTiles * HeadDim * TileRows).Clear();");
        writer.Line("scratch.Slice(RowMaxOffset, itemTiles * TileRows).Fill(float.NegativeInfinity);");
        writer.Line("scratch.Slice(RowSumOffset, itemTiles * TileRows).Clear();");
    }

    private static void EmitSoftmaxStep(SourceWriter writer, TilePlan plan)
    {
        const string State = "ref global::System.Runtime.CompilerServices.Unsafe.Add(ref rowMax, tile * TileRows), ref global::System.Runtime.CompilerServices.Unsafe.Add(ref rowSum, tile * TileRows), ref correction";
        writer.Line(plan.FeatureQuads && plan.KeyTile is 4 or 8 && plan.TileRows == 4
            ? $"global::Attention.Kernels.OnlineSoftmax.UpdateQuadTile(ref scores, {plan.KeyTile / 4}, {State});"
            : $"global::Attention.Kernels.OnlineSoftmax.UpdateTile{plan.Tier.Name}(ref scores, KeyTile, RowVectors, {State});");
    }

    /// <summary>Where row <c>itemRow</c> of item tile <c>tile</c> starts in acc: the quad plan keeps acc row-major
    /// ([TileRows][HeadDim] per tile), the others feature-major ([HeadDim][TileRows]).</summary>
    private static string AccRowStart(TilePlan plan)
        => plan.FeatureQuads ? "tile * HeadDim * TileRows + itemRow % TileRows * HeadDim" : "tile * HeadDim * TileRows + itemRow % TileRows";

    /// <summary>Floats between consecutive features of one row of acc.</summary>
    private static string AccFeatureStride(TilePlan plan) => plan.FeatureQuads ? "1" : "TileRows";

    /// <summary>For the quad plan, rewrites the item's packed queries from the feature-major layout every 4-row tile packs
    /// them in to the one the quad QK microkernel reads (lane 4r + p), once per item rather than once per use.</summary>
    private static void EmitQuadQueryLayout(SourceWriter writer, TilePlan plan)
    {
        if (!plan.FeatureQuads)
        {
            return;
        }

        writer.Line("// The quad QK microkernel reads four features of each row per 16 floats (lane 4r + p): one transpose per block, here.");
        writer.Line($"{QuadLanes}.TransposeBlocks(ref packedQuery, itemTiles * HeadDim * TileRows / 16);");
    }

    private static void EmitPackRows(SourceWriter writer)
    {
        writer.Line("global::Attention.Kernels.Packing.PackRows(ref arguments.Key, keyTileStart, keys, KeyTile, KvGroups, group, HeadDim, ref packedKey);");
        writer.Line("global::Attention.Kernels.Packing.PackRows(ref arguments.Value, keyTileStart, keys, KeyTile, KvGroups, group, HeadDim, ref packedValue);");
    }

    /// <summary>
    /// A microkernel call on the packed tile; for the decode plan, the variant reading the cache rows when the
    /// tile is whole (<c>direct</c>) and the packed one otherwise.
    /// </summary>
    private static void EmitMicrokernelCall(SourceWriter writer, TilePlan plan, string name, string cacheSource, string packedSource, string cachePrefetch, Func<string, string> arguments)
    {
        if (!plan.FeatureQuads)
        {
            writer.Line($"{name}({arguments(packedSource)});");
            return;
        }

        using (writer.Block("if (direct)"))
        {
            writer.Line($"{name}FromCache({arguments(cacheSource)}, {cachePrefetch});");
        }

        using (writer.Block("else"))
        {
            writer.Line($"{name}({arguments(packedSource)});");
        }
    }

    /// <summary>Row-independent extra keys (Longformer's global keys, the fixed pattern's summary positions) are gathered per query tile.</summary>
    private static bool GathersExtras(KernelSpec spec) => spec.Pattern.GlobalTokens || spec.Pattern.FixedBlock > 0;

    private static string Join(int count, Func<int, string> item) => string.Join(", ", Enumerable.Range(0, count).Select(item));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Offsets of the per-thread scratch regions, each starting on a 64-byte boundary.</summary>
    private sealed class ScratchLayout
    {
        public ScratchLayout(KernelSpec spec, TilePlan plan)
        {
            int rows = plan.MaxTilesPerItem * plan.TileRows;
            int offset = 0;
            Query = Take(ref offset, rows * spec.HeadDim);
            Accumulators = Take(ref offset, rows * spec.HeadDim);
            RowMax = Take(ref offset, rows);
            RowSum = Take(ref offset, rows);
            RowStart = Take(ref offset, rows);
            RowEnd = Take(ref offset, rows);
            RowAllowedEnd = Take(ref offset, rows);
            RowToken = Take(ref offset, rows);
            TileSummary = Take(ref offset, plan.MaxTilesPerItem * 4);
            TileDecision = Take(ref offset, plan.MaxTilesPerItem);
            Correction = Take(ref offset, plan.TileRows);
            Key = Take(ref offset, plan.KeyTile * spec.HeadDim);
            Value = Take(ref offset, plan.KeyTile * spec.HeadDim);
            Scores = Take(ref offset, plan.KeyTile * plan.TileRows);
            SavedScores = spec.HasExtras ? Take(ref offset, plan.KeyTile * plan.TileRows) : -1;
            Positions = spec.HasExtras ? Take(ref offset, plan.KeyTile) : -1;
            int topK = spec.Pattern.TopK;
            TopScores = topK > 0 ? Take(ref offset, rows * topK) : -1;
            TopKeys = topK > 0 ? Take(ref offset, rows * topK) : -1;
            Threshold = topK > 0 ? Take(ref offset, rows) : -1;
            TieLimit = topK > 0 ? Take(ref offset, rows) : -1;
            Total = offset;
        }

        public int Query { get; }
        public int Accumulators { get; }
        public int RowMax { get; }
        public int RowSum { get; }
        public int RowStart { get; }
        public int RowEnd { get; }
        public int RowAllowedEnd { get; }
        public int RowToken { get; }
        public int TileSummary { get; }
        public int TileDecision { get; }
        public int SavedScores { get; }
        public int Positions { get; }
        public int TopScores { get; }
        public int TopKeys { get; }
        public int Threshold { get; }
        public int TieLimit { get; }
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
