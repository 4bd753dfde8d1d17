using System.Runtime.CompilerServices;
namespace Attention.Kernels;

/// <summary>
/// Per-thread scratch memory, grown on demand and kept for the thread's lifetime, so steady-state calls
/// allocate nothing and no two threads ever share a buffer. The array lives on the pinned object heap,
/// so its address is stable, and the span handed out starts on a 64-byte (cache line, Vector512) boundary.
/// </summary>
internal static class ThreadScratch
{
    private const int AlignmentFloats = 16;

    [ThreadStatic]
    private static float[]? t_buffer;

    // Partial results of a split call live in a second buffer of the calling thread: the caller also runs
    // work items with its own scratch (Get) while the partials are being written.
    [ThreadStatic]
    private static float[]? t_partials;

    [ThreadStatic]
    private static int[]? t_ints;

    [ThreadStatic]
    private static SequenceWork[]? t_sequences;

    [ThreadStatic]
    private static long[]? t_order;

    /// <summary>The calling thread's integer scratch (BigBird's random-block table).</summary>
    public static Span<int> GetInts(int count) => Grow(ref t_ints, count).AsSpan(0, count);

    /// <summary>The calling thread's batch table, at least <paramref name="count"/> long.</summary>
    public static Span<SequenceWork> GetSequences(int count) => Grow(ref t_sequences, count).AsSpan(0, count);

    /// <summary>The array behind <see cref="GetSequences"/> (the worker pool indexes it).</summary>
    public static SequenceWork[] SequenceArray => t_sequences!;

    /// <summary>The calling thread's sort keys for the batch table.</summary>
    public static Span<long> GetOrder(int count) => Grow(ref t_order, count).AsSpan(0, count);

    private static T[] Grow<T>(ref T[]? slot, int count)
    {
        T[]? buffer = slot;
        if (buffer is null || buffer.Length < count)
        {
            buffer = new T[Math.Max(count, buffer is null ? 16 : buffer.Length * 2)];
            slot = buffer;
        }

        return buffer;
    }

    /// <summary>The calling thread's work-item scratch.</summary>
    public static Span<float> Get(int floats) => Take(ref t_buffer, floats);

    /// <summary>The calling thread's buffer for the partial results of a split call.</summary>
    public static Span<float> GetPartials(int floats) => Take(ref t_partials, floats);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Span<float> Take(ref float[]? slot, int floats)
    {
        float[]? buffer = slot;
        if (buffer is null || buffer.Length < floats + AlignmentFloats)
        {
            // Grow geometrically so a slowly increasing sequence length does not reallocate on every call.
            int length = (int)Math.Min(int.MaxValue, Math.Max(floats + AlignmentFloats, buffer is null ? 0 : buffer.Length * 2L));
            buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
            slot = buffer;
        }

        return Align(buffer).Slice(0, floats);
    }

    private static unsafe Span<float> Align(float[] buffer)
    {
        fixed (float* start = buffer)
        {
            int misalignment = (int)((nuint)start % (AlignmentFloats * sizeof(float))) / sizeof(float);
            int offset = misalignment == 0 ? 0 : AlignmentFloats - misalignment;
            return buffer.AsSpan(offset);
        }
    }
}
