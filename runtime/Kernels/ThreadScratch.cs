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

    public static Span<float> Get(int floats)
    {
        float[]? buffer = t_buffer;
        if (buffer is null || buffer.Length < floats + AlignmentFloats)
        {
            // Grow geometrically so a slowly increasing sequence length does not reallocate on every call.
            int length = Math.Max(floats + AlignmentFloats, buffer is null ? 0 : (int)Math.Min(int.MaxValue, buffer.Length * 2L));
            buffer = GC.AllocateUninitializedArray<float>(length, pinned: true);
            t_buffer = buffer;
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
