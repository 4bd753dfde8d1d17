using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Attention.Kernels;

/// <summary>
/// Lane helpers of the QK microkernel of the 4-row AVX-512 decode tile (<c>Vector512Quad</c>), where one Vector512
/// holds four features of each of four rows: lane <c>4r + p</c> = feature <c>d + p</c> of row <c>r</c>. The four
/// features of a key row are then one 128-bit broadcast from memory (a load, no shuffle). The packed queries are
/// rewritten in that layout once per work item (<see cref="TransposeBlocks"/>) from the feature-major layout the
/// other 4-row tiles use (lane <c>4p + r</c>). (The tile's PV microkernel needs none of this: its accumulators
/// are row-major, 16 features of one row per register.)
/// </summary>
public static unsafe class QuadLanes
{
    /// <summary>
    /// Features <c>source[0..3]</c> repeated in every quarter: <c>vbroadcastf32x4</c> with a memory operand,
    /// which runs on the load ports and leaves the shuffle port to the rest of the kernel.
    /// </summary>
    /// <remarks>The memory must not move during the call: every buffer the generated kernels read is pinned
    /// for the call (the launcher fixes the caller's spans; per-thread scratch lives on the pinned object heap).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BroadcastQuad(ref float source)
    {
        if (Avx512F.IsSupported)
        {
            return Avx512F.BroadcastVector128ToVector512((float*)Unsafe.AsPointer(ref source));
        }

        return Vector512.Create(Vector128.LoadUnsafe(ref source));
    }

    /// <summary>Transposes each 4 x 4 block of lanes: lane <c>4a + b</c> of the result is lane <c>4b + a</c> of
    /// <paramref name="v"/> (feature-major to row-major and back; the permutation is its own inverse).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Transpose(Vector512<float> v)
        => Vector512.Shuffle(v, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));

    /// <summary>Transposes <paramref name="blocks"/> consecutive blocks of 16 floats in place (see <see cref="Transpose"/>):
    /// the packed queries, once per work item after packing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposeBlocks(ref float data, int blocks)
    {
        for (int block = 0; block < blocks; block++)
        {
            ref float start = ref Unsafe.Add(ref data, block * 16);
            Transpose(Vector512.LoadUnsafe(ref start)).StoreUnsafe(ref start);
        }
    }

    /// <summary>
    /// Dot products of four keys with the four rows, from their row-major accumulators: lane <c>4k + r</c> of
    /// the result is the sum of the quarter <c>r</c> of accumulator <c>k</c> (so the result is stored as
    /// <c>scores[key][row]</c>). Seven shuffles and three adds for sixteen sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SumQuarters(Vector512<float> key0, Vector512<float> key1, Vector512<float> key2, Vector512<float> key3)
    {
        if (Avx512F.IsSupported)
        {
            // Per quarter r: [k0 f0+f2, k1 f0+f2, k0 f1+f3, k1 f1+f3], and the same for keys 2 and 3.
            Vector512<float> low = Avx512F.UnpackLow(key0, key1) + Avx512F.UnpackHigh(key0, key1);
            Vector512<float> high = Avx512F.UnpackLow(key2, key3) + Avx512F.UnpackHigh(key2, key3);
            // Per quarter r: [k0, k1, k2, k3] (the even and the odd pair sums added), then quarters to keys.
            Vector512<float> sums = Avx512F.Shuffle(low, high, 0b01_00_01_00) + Avx512F.Shuffle(low, high, 0b11_10_11_10);
            return Transpose(sums);
        }

        return Vector512.Create(
            SumQuarter(key0, 0), SumQuarter(key0, 1), SumQuarter(key0, 2), SumQuarter(key0, 3),
            SumQuarter(key1, 0), SumQuarter(key1, 1), SumQuarter(key1, 2), SumQuarter(key1, 3),
            SumQuarter(key2, 0), SumQuarter(key2, 1), SumQuarter(key2, 2), SumQuarter(key2, 3),
            SumQuarter(key3, 0), SumQuarter(key3, 1), SumQuarter(key3, 2), SumQuarter(key3, 3));
    }

    private static float SumQuarter(Vector512<float> v, int quarter)
        => v.GetElement(4 * quarter) + v.GetElement(4 * quarter + 1) + v.GetElement(4 * quarter + 2) + v.GetElement(4 * quarter + 3);
}
