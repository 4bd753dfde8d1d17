using System.Runtime.CompilerServices;
namespace Attention.Kernels;

/// <summary>
/// Runs a generated kernel over the cores: cuts the call into work items (<see cref="WorkPartition"/>),
/// pins the tensors, lets the calling thread and the library's workers pull item numbers from one shared
/// counter, lowest first, and, when the key range was split, merges the partial results. Generated kernels
/// number their items longest first (for causal masks, the query tiles that see the most keys), so dynamic
/// pulling balances the triangle. Batches put every sequence's items behind one counter, longest sequence first.
/// </summary>
public static unsafe class KernelLauncher
{
    /// <summary>
    /// Runs <paramref name="kernel"/> for one validated call with at least one query token, and returns when the
    /// output is complete.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="queryLength">Query tokens.</param>
    /// <param name="keyLength">Key tokens.</param>
    /// <param name="plan">The kernel's configuration and tile plan.</param>
    /// <param name="kernel">The work item body.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, in KernelPlan plan, KernelWorkItem kernel)
        => Run(query, key, value, output, queryLength, keyLength, in plan, kernel, default, default, default);

    /// <summary>
    /// As <see cref="Run(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, in KernelPlan, KernelWorkItem)"/>,
    /// with the run-time masking inputs (each empty when absent), already validated.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="queryLength">Query tokens.</param>
    /// <param name="keyLength">Key tokens.</param>
    /// <param name="plan">The kernel's configuration and tile plan.</param>
    /// <param name="kernel">The work item body.</param>
    /// <param name="globalPositions">Sorted global positions (Longformer).</param>
    /// <param name="mask">Boolean mask <c>[queryLength][keyLength]</c>.</param>
    /// <param name="bias">Additive bias <c>[queryLength][keyLength]</c> or <c>[Heads][queryLength][keyLength]</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, in KernelPlan plan, KernelWorkItem kernel,
        ReadOnlySpan<int> globalPositions, ReadOnlySpan<bool> mask, ReadOnlySpan<float> bias)
    {
        int threads = AttentionThreading.MaxDegreeOfParallelism;
        // Hard attention selects over all of a row's keys at once, so its key range is never split. A strided pattern
        // (without TopK) adds a residue pass whose partial results merge with the tile grid's, so it does not split either.
        // Its partial records (two per row) must fit one buffer; past that, the strided keys are visited in place.
        long residueFloats = 2L * plan.KvGroups * queryLength * (plan.Heads / plan.KvGroups) * SplitMerge.RecordFloats(plan.HeadDim);
        bool residuePass = plan.Pattern.Stride > 0 && plan.Pattern.TopK == 0 && residueFloats <= int.MaxValue;
        WorkPartition.Cut cut = WorkPartition.Plan(queryLength, keyLength, plan, threads, allowKeySplits: plan.Pattern.TopK == 0 && !residuePass);
        int residueChunks = 0, residueItems = 0, parts = cut.KeySplits;
        if (residuePass)
        {
            int classTokens = WorkPartition.DivideRoundingUp(queryLength, plan.Pattern.Stride);
            residueChunks = WorkPartition.DivideRoundingUp(classTokens * (plan.Heads / plan.KvGroups), plan.TileRows * plan.MaxTilesPerItem);
            residueItems = plan.KvGroups * Math.Min(plan.Pattern.Stride, queryLength) * residueChunks;
            parts = 2;
        }

        Span<float> partials = parts > 1
            ? ThreadScratch.GetPartials(residuePass ? (int)residueFloats : cut.PartialFloats)
            : default;
        Span<int> randomTable = ThreadScratch.GetInts(RandomTableInts(plan.Pattern, keyLength));
        FillRandomTable(plan.Pattern, keyLength, randomTable);
        long biasHeadStride = bias.Length > (long)queryLength * keyLength ? (long)queryLength * keyLength : 0;

        fixed (float* q = query, k = key, v = value, o = output, p = partials, b = bias)
        fixed (int* globals = globalPositions, random = randomTable)
        fixed (bool* m = mask)
        {
            var pattern = new PatternArguments(plan.Pattern, queryLength, keyLength, globals, globalPositions.Length, random,
                mask.IsEmpty ? null : m, bias.IsEmpty ? null : b, biasHeadStride);
            var arguments = new KernelArguments(q, k, v, o, p, queryLength, keyLength, in cut, in pattern, residueItems, residueChunks);
            int itemCount = cut.ItemCount + residueItems;
            int helpers = Math.Min(threads, itemCount) - 1;
            if (helpers <= 0 || !WorkerPool.Shared.TryRun(kernel, arguments, null, 0, itemCount, plan.ScratchFloats, helpers))
            {
                Span<float> scratch = ThreadScratch.Get(plan.ScratchFloats);
                for (int item = 0; item < itemCount; item++)
                {
                    kernel(in arguments, item, scratch);
                }
            }
        }

        if (parts > 1)
        {
            SplitMerge.Merge(partials, output, queryLength, parts, plan.Heads, plan.KvGroups, plan.HeadDim);
        }
    }

    /// <summary>
    /// Runs a validated padded batch: sequence b's tokens start at row <c>b * maxQueryLength</c> (queries, output) and
    /// <c>b * maxKeyLength</c> (keys, values). Output rows past each sequence's query length are set to zero.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="maxQueryLength">Query rows per sequence.</param>
    /// <param name="maxKeyLength">Key rows per sequence.</param>
    /// <param name="queryLengths">Valid query tokens per sequence.</param>
    /// <param name="keyLengths">Valid key tokens per sequence.</param>
    /// <param name="plan">The kernel's configuration and tile plan.</param>
    /// <param name="kernel">The work item body.</param>
    public static void RunPadded(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int maxQueryLength, int maxKeyLength, ReadOnlySpan<int> queryLengths, ReadOnlySpan<int> keyLengths, in KernelPlan plan, KernelWorkItem kernel)
    {
        int rowFloats = plan.Heads * plan.HeadDim;
        for (int b = 0; b < queryLengths.Length; b++)
        {
            output.Slice((b * maxQueryLength + queryLengths[b]) * rowFloats, (maxQueryLength - queryLengths[b]) * rowFloats).Clear();
        }

        RunBatch(query, key, value, output, queryLengths.Length, packed: false, maxQueryLength, maxKeyLength, queryLengths, keyLengths, in plan, kernel);
    }

    /// <summary>
    /// Runs a validated packed batch: sequence b is query tokens <c>[queryOffsets[b], queryOffsets[b + 1])</c> and key
    /// tokens <c>[keyOffsets[b], keyOffsets[b + 1])</c>.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="queryOffsets">Cumulative query offsets.</param>
    /// <param name="keyOffsets">Cumulative key offsets.</param>
    /// <param name="plan">The kernel's configuration and tile plan.</param>
    /// <param name="kernel">The work item body.</param>
    public static void RunPacked(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        ReadOnlySpan<int> queryOffsets, ReadOnlySpan<int> keyOffsets, in KernelPlan plan, KernelWorkItem kernel)
        => RunBatch(query, key, value, output, queryOffsets.Length - 1, packed: true, 0, 0, queryOffsets, keyOffsets, in plan, kernel);

    /// <summary>
    /// One work counter over every sequence. When <paramref name="packed"/>, <paramref name="queryCounts"/> and
    /// <paramref name="keyCounts"/> are cumulative offsets; otherwise they are the lengths of padded sequences.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="packed">Offsets (true) or padded lengths (false).</param>
    /// <param name="maxQueryLength">Padded: query rows per sequence.</param>
    /// <param name="maxKeyLength">Padded: key rows per sequence.</param>
    /// <param name="queryCounts">Query offsets or lengths.</param>
    /// <param name="keyCounts">Key offsets or lengths.</param>
    /// <param name="plan">The kernel's configuration and tile plan.</param>
    /// <param name="kernel">The work item body.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBatch(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int batch, bool packed, int maxQueryLength, int maxKeyLength, ReadOnlySpan<int> queryCounts, ReadOnlySpan<int> keyCounts, in KernelPlan plan, KernelWorkItem kernel)
    {
        int threads = AttentionThreading.MaxDegreeOfParallelism;
        Span<SequenceWork> sequences = ThreadScratch.GetSequences(batch);
        Span<long> order = ThreadScratch.GetOrder(batch);

        // Sequences and their extents; the longest first, so the counter hands out the biggest items early.
        int count = 0;
        long totalRows = 0;
        int randomInts = 0;
        for (int b = 0; b < batch; b++)
        {
            int queryStart = packed ? queryCounts[b] : b * maxQueryLength;
            int keyStart = packed ? keyCounts[b] : b * maxKeyLength;
            int n = packed ? queryCounts[b + 1] - queryCounts[b] : queryCounts[b];
            int m = packed ? keyCounts[b + 1] - keyCounts[b] : keyCounts[b];
            if (n == 0)
            {
                continue;
            }

            sequences[count] = new SequenceWork { QueryStart = queryStart, KeyStart = keyStart, QueryLength = n, KeyLength = m, RandomStart = randomInts };
            order[count] = -((long)n * Math.Max(m, 1));
            randomInts += RandomTableInts(plan.Pattern, m);
            totalRows += n;
            count++;
        }

        if (count == 0)
        {
            return;
        }

        order[..count].Sort(sequences[..count]);
        Span<int> randomTable = ThreadScratch.GetInts(randomInts);
        int rowFloats = plan.Heads * plan.HeadDim;
        int keyFloats = plan.KvGroups * plan.HeadDim;
        fixed (float* q = query, k = key, v = value, o = output)
        fixed (int* random = randomTable)
        {
            int items = 0;
            for (int s = 0; s < count; s++)
            {
                ref SequenceWork sequence = ref sequences[s];
                FillRandomTable(plan.Pattern, sequence.KeyLength, randomTable.Slice(sequence.RandomStart, RandomTableInts(plan.Pattern, sequence.KeyLength)));

                // Each sequence gets a share of the threads in proportion to its rows, so the whole batch is cut into
                // about as many items as one long sequence would be; key splits stay off (batches have items to spare).
                int share = (int)Math.Max(1, Math.Min(threads, (threads * (long)sequence.QueryLength + totalRows - 1) / totalRows));
                WorkPartition.Cut cut = WorkPartition.Plan(sequence.QueryLength, sequence.KeyLength, plan, share, allowKeySplits: false);
                var pattern = new PatternArguments(plan.Pattern, sequence.QueryLength, sequence.KeyLength, null, 0, random + sequence.RandomStart, null, null, 0);
                sequence.Arguments = new KernelArguments(q + (long)sequence.QueryStart * rowFloats, k + (long)sequence.KeyStart * keyFloats,
                    v + (long)sequence.KeyStart * keyFloats, o + (long)sequence.QueryStart * rowFloats, null, sequence.QueryLength, sequence.KeyLength, in cut, in pattern);
                sequence.FirstItem = items;
                items += cut.ItemCount;
            }

            SequenceWork[] table = ThreadScratch.SequenceArray;
            int helpers = Math.Min(threads, items) - 1;
            if (helpers <= 0 || !WorkerPool.Shared.TryRun(kernel, default, table, count, items, plan.ScratchFloats, helpers))
            {
                Span<float> scratch = ThreadScratch.Get(plan.ScratchFloats);
                for (int item = 0; item < items; item++)
                {
                    int s = SequenceWork.Find(table, count, item);
                    kernel(in table[s].Arguments, item - table[s].FirstItem, scratch);
                }
            }
        }
    }

    /// <summary>Ints of BigBird's random-block table for <paramref name="keyLength"/> keys (0 for other patterns).</summary>
    private static int RandomTableInts(AttentionPattern pattern, int keyLength)
        => pattern.BlockSize > 0 ? (int)Math.Min(int.MaxValue, ((long)keyLength + pattern.BlockSize - 1) / pattern.BlockSize * pattern.RandomBlocks) : 0;

    /// <summary>Fills <c>[keyBlocks][RandomBlocks]</c> with <see cref="BigBirdLayout.RandomKeyBlocks"/>, -1 where a block has fewer.</summary>
    private static void FillRandomTable(AttentionPattern pattern, int keyLength, Span<int> table)
    {
        if (table.IsEmpty)
        {
            return;
        }

        int keyBlocks = (int)(((long)keyLength + pattern.BlockSize - 1) / pattern.BlockSize);
        for (int block = 0; block < keyBlocks; block++)
        {
            Span<int> row = table.Slice(block * pattern.RandomBlocks, pattern.RandomBlocks);
            int written = BigBirdLayout.RandomKeyBlocks(pattern.Seed, block, keyBlocks, pattern.RandomBlocks, row);
            row[written..].Fill(-1);
        }
    }
}

/// <summary>One sequence of a batch call: where its tokens are, its arguments, and the number of its first work item.</summary>
internal struct SequenceWork
{
    public int QueryStart;
    public int KeyStart;
    public int QueryLength;
    public int KeyLength;
    public int RandomStart;
    public int FirstItem;
    public KernelArguments Arguments;

    /// <summary>The sequence that owns global item <paramref name="item"/> (items are numbered sequence by sequence).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Find(SequenceWork[] table, int count, int item)
    {
        int low = 0;
        int high = count - 1;
        while (low < high)
        {
            int middle = (low + high + 1) >>> 1;
            if (table[middle].FirstItem <= item)
                low = middle;
            else
                high = middle - 1;
        }

        return low;
    }
}
