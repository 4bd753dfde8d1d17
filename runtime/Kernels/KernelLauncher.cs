using System.Runtime.CompilerServices;
namespace Attention.Kernels;

/// <summary>
/// Runs a generated kernel over the cores: cuts the call into work items (<see cref="WorkPartition"/>),
/// pins the tensors, lets the calling thread and the library's workers pull item numbers from one shared
/// counter, lowest first, and, when the key range was split, merges the partial results. Generated kernels
/// number their items longest first (for causal masks, the query tiles that see the most keys), so dynamic
/// pulling balances the triangle.
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
    {
        int threads = AttentionThreading.MaxDegreeOfParallelism;
        WorkPartition.Cut cut = WorkPartition.Plan(queryLength, keyLength, plan, threads);
        Span<float> partials = cut.KeySplits > 1 ? ThreadScratch.GetPartials(cut.PartialFloats) : default;

        fixed (float* q = query, k = key, v = value, o = output, p = partials)
        {
            var arguments = new KernelArguments(q, k, v, o, p, queryLength, keyLength, in cut);
            int helpers = Math.Min(threads, cut.ItemCount) - 1;
            if (helpers <= 0 || !WorkerPool.Shared.TryRun(kernel, arguments, cut.ItemCount, plan.ScratchFloats, helpers))
            {
                Span<float> scratch = ThreadScratch.Get(plan.ScratchFloats);
                for (int item = 0; item < cut.ItemCount; item++)
                {
                    kernel(in arguments, item, scratch);
                }
            }
        }

        if (cut.KeySplits > 1)
        {
            SplitMerge.Merge(partials, output, queryLength, cut.KeySplits, plan.Heads, plan.KvGroups, plan.HeadDim);
        }
    }
}
