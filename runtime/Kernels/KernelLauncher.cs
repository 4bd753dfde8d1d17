namespace Attention.Kernels;

/// <summary>
/// Runs a generated kernel's work items over the cores: pins the tensors, then lets the calling thread and
/// the library's workers pull item indices from one shared counter, lowest index first. Generated kernels
/// number their items longest first (for causal masks, the query tiles that see the most keys), so dynamic
/// pulling balances the triangle.
/// </summary>
public static unsafe class KernelLauncher
{
    /// <summary>Threads a call would use now: <see cref="AttentionThreading.MaxDegreeOfParallelism"/>.
    /// Generated code sizes its work items from it.</summary>
    public static int PlannedThreads => AttentionThreading.MaxDegreeOfParallelism;

    /// <summary>
    /// Runs <paramref name="kernel"/> for work items <c>0 .. itemCount - 1</c>, each exactly once, and returns
    /// when all are done. Arguments must already be validated.
    /// </summary>
    /// <param name="query">Query tensor.</param>
    /// <param name="key">Key tensor.</param>
    /// <param name="value">Value tensor.</param>
    /// <param name="output">Output tensor.</param>
    /// <param name="queryLength">Query tokens.</param>
    /// <param name="keyLength">Key tokens.</param>
    /// <param name="tilesPerItem">Passed through to the kernel in <see cref="KernelArguments.TilesPerItem"/>.</param>
    /// <param name="itemCount">Number of work items.</param>
    /// <param name="scratchFloats">Scratch each running thread needs, in floats.</param>
    /// <param name="kernel">The work item body.</param>
    public static void Run(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int queryLength, int keyLength, int tilesPerItem, int itemCount, int scratchFloats, KernelWorkItem kernel)
    {
        if (itemCount <= 0)
        {
            return;
        }

        fixed (float* q = query, k = key, v = value, o = output)
        {
            var arguments = new KernelArguments(q, k, v, o, queryLength, keyLength, tilesPerItem);
            int threads = Math.Min(PlannedThreads, itemCount);
            if (threads <= 1 || !WorkerPool.Shared.TryRun(kernel, arguments, itemCount, scratchFloats, threads - 1))
            {
                Span<float> scratch = ThreadScratch.Get(scratchFloats);
                for (int item = 0; item < itemCount; item++)
                {
                    kernel(in arguments, item, scratch);
                }
            }
        }
    }
}
