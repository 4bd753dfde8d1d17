using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// Combines the partial results of a call whose key range was split across work items (flash-decoding).
/// Each part leaves, per row, its reference maximum <c>m</c> (log2 domain; see <see cref="OnlineSoftmax"/>), sum <c>s</c> and unnormalized output
/// <c>acc</c>; the combined row is <c>sum_k acc_k * 2^(m_k - M) / sum_k s_k * 2^(m_k - M)</c> with
/// <c>M = max_k m_k</c>, the same log-sum-exp rescaling the online softmax does between key tiles.
/// </summary>
/// <remarks>
/// Layout: record <c>(split * kvGroups + group) * rowsPerGroup + flatRow</c>, each
/// <see cref="RecordFloats"/> floats: <c>[max, sum, acc[0 .. headDim)]</c>. A part that saw no key of a row
/// leaves max -inf and sum 0; a row no part saw gets zeros.
/// </remarks>
public static class SplitMerge
{
    /// <summary>Floats per partial record: max, sum and the head's features.</summary>
    public static int RecordFloats(int headDim) => headDim + 2;

    /// <summary>Writes one partial record (called by generated kernels).</summary>
    /// <param name="partials">Start of the partial buffer.</param>
    /// <param name="record">Record index.</param>
    /// <param name="headDim">Features per head.</param>
    /// <param name="rowMax">The row's reference maximum (any value its sum and output were taken against).</param>
    /// <param name="rowSum">The row's running sum.</param>
    /// <param name="acc">The row's first accumulator; feature d is at <c>d * stride</c>.</param>
    /// <param name="stride">Distance between consecutive features of <paramref name="acc"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ref float partials, int record, int headDim, float rowMax, float rowSum, ref float acc, int stride)
    {
        ref float destination = ref Unsafe.Add(ref partials, (nint)record * RecordFloats(headDim));
        destination = rowMax;
        Unsafe.Add(ref destination, 1) = rowSum;
        for (int d = 0; d < headDim; d++)
        {
            Unsafe.Add(ref destination, 2 + d) = Unsafe.Add(ref acc, (nint)d * stride);
        }
    }

    /// <summary>Merges all parts into <paramref name="output"/> (<c>[queryLength][heads][headDim]</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge(ReadOnlySpan<float> partials, Span<float> output, int queryLength, int keySplits, int heads, int kvGroups, int headDim)
    {
        int headsPerGroup = heads / kvGroups;
        int rowsPerGroup = queryLength * headsPerGroup;
        int recordFloats = RecordFloats(headDim);
        int splitStride = kvGroups * rowsPerGroup;
        for (int group = 0; group < kvGroups; group++)
        {
            for (int flatRow = 0; flatRow < rowsPerGroup; flatRow++)
            {
                int first = group * rowsPerGroup + flatRow;
                float max = float.NegativeInfinity;
                for (int split = 0; split < keySplits; split++)
                {
                    max = MathF.Max(max, partials[(first + split * splitStride) * recordFloats]);
                }

                int token = flatRow / headsPerGroup;
                int head = group * headsPerGroup + flatRow % headsPerGroup;
                Span<float> row = output.Slice((token * heads + head) * headDim, headDim);
                row.Clear();
                if (float.IsNegativeInfinity(max))
                {
                    continue; // No part saw a key of this row: zeros.
                }

                float sum = 0f;
                for (int split = 0; split < keySplits; split++)
                {
                    ReadOnlySpan<float> record = partials.Slice((first + split * splitStride) * recordFloats, recordFloats);
                    float weight = VectorMath.Exp2(record[0] - max); // 0 for parts that saw nothing (max -inf).
                    sum += record[1] * weight;
                    for (int d = 0; d < headDim; d++)
                    {
                        row[d] += record[2 + d] * weight;
                    }
                }

                float normalizer = OnlineSoftmax.Normalizer(sum);
                for (int d = 0; d < headDim; d++)
                {
                    row[d] *= normalizer;
                }
            }
        }
    }
}
