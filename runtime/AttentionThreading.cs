namespace Attention;

/// <summary>
/// How many cores the generated kernels use. By default a call spreads its work over all cores
/// (<see cref="Environment.ProcessorCount"/>): the calling thread works too, helped by a fixed set of
/// background worker threads owned by the library (created on first use, never more than one per core).
/// </summary>
/// <remarks>
/// <para>Only one call at a time borrows the workers; a call that finds them busy (another thread is running
/// attention at that moment) runs entirely on its own thread instead of queueing, so concurrent callers never
/// oversubscribe the machine and never share mutable state. Each thread keeps its own scratch memory, reused
/// across calls, so steady-state calls allocate nothing.</para>
/// <para>Callers that parallelize themselves (one sequence per thread, say) should set
/// <see cref="MaxDegreeOfParallelism"/> to 1 so every call stays on its caller's thread.</para>
/// </remarks>
public static class AttentionThreading
{
    private static int s_maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// Upper bound on the threads one call uses, the caller's included. Default <see cref="Environment.ProcessorCount"/>;
    /// 1 runs every call on the calling thread only. Values above the processor count are clamped to it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref s_maxDegreeOfParallelism);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxDegreeOfParallelism, Math.Min(value, Environment.ProcessorCount));
        }
    }
}
