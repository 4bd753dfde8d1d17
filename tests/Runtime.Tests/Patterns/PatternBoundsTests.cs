using System.Runtime.InteropServices;
using Attention.Tests.Kernels;
using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Patterns;

/// <summary>
/// Guard pages around every span of the pattern, mask, bias, global-position and batch entry points: tensors, masks,
/// biases and position lists flush against an inaccessible page at their end and at their start.
/// </summary>
public sealed class PatternBoundsTests
{
    private static readonly GuardedBuffer.Placement[] Placements = [GuardedBuffer.Placement.AtEnd, GuardedBuffer.Placement.AtStart];

    [Fact]
    public void PatternKernelsStayInsideTheirSpans()
    {
        if (!GuardedBuffer.IsSupported)
            return;

        foreach (PatternCase kernel in PatternConfigurations.All)
        {
            foreach (GuardedBuffer.Placement placement in Placements)
            {
                foreach ((int n, int m) in new[] { (1, 1), (7, 45), (45, 7), (1, 96), (50, 101) })
                {
                    int[] globals = kernel.ForwardWithGlobals is null || m == 0 ? [] : [0, m / 2, m - 1];
                    globals = globals.Distinct().ToArray();
                    (float[] q, float[] k, float[] v) = new SplitMix64((ulong)(40 + n)).NextAttentionInputs(n, m, kernel.Heads, kernel.KvGroups, kernel.HeadDim);
                    float[] expected = new float[q.Length];
                    AttentionReference.Forward(q, k, v, expected, n, m, kernel.Heads, kernel.KvGroups, kernel.HeadDim, kernel.Pattern, 0f, globals);

                    using var query = new GuardedBuffer(q, placement);
                    using var key = new GuardedBuffer(k, placement);
                    using var value = new GuardedBuffer(v, placement);
                    using var output = new GuardedBuffer(new float[q.Length], placement);
                    using var globalBuffer = new GuardedBuffer(MemoryMarshal.Cast<int, float>(globals), placement);
                    if (kernel.ForwardWithGlobals is null)
                        kernel.Forward(query.Span, key.Span, value.Span, output.Span, n, m);
                    else
                        kernel.ForwardWithGlobals(query.Span, key.Span, value.Span, output.Span, n, m, MemoryMarshal.Cast<float, int>(globalBuffer.Span));
                    Tolerance.AssertClose(expected, output.Span, 2e-5f, $"{kernel.Name} {placement} N={n} M={m}");
                }
            }
        }
    }

    [Fact]
    public void MaskBiasAndPackedBatchesStayInsideTheirSpans()
    {
        if (!GuardedBuffer.IsSupported)
            return;

        const int heads = 4, kvGroups = 2, headDim = 64;
        var pattern = new AttentionPattern { Causal = true, Window = 8 };
        foreach (GuardedBuffer.Placement placement in Placements)
        {
            foreach ((int n, int m) in new[] { (1, 1), (7, 45), (45, 7), (50, 101) })
            {
                (float[] q, float[] k, float[] v) = new SplitMix64((ulong)(7 + m)).NextAttentionInputs(n, m, heads, kvGroups, headDim);
                var maskValues = new bool[n * m];
                for (int i = 0; i < maskValues.Length; i++)
                    maskValues[i] = i % 5 != 0;
                float[] biasValues = Enumerable.Range(0, heads * n * m).Select(i => (i % 7) * 0.25f).ToArray();
                float[] expected = new float[q.Length];
                AttentionReference.Forward(q, k, v, expected, n, m, heads, kvGroups, headDim, pattern, 0f, default, maskValues, biasValues);

                using var query = new GuardedBuffer(q, placement);
                using var key = new GuardedBuffer(k, placement);
                using var value = new GuardedBuffer(v, placement);
                using var output = new GuardedBuffer(new float[q.Length], placement);
                using var bias = new GuardedBuffer(biasValues, placement);
                // The mask as bytes, flush against the guard page at the chosen end of a float-sized buffer.
                using var maskBuffer = new GuardedBuffer(new float[(maskValues.Length + 3) / 4], placement);
                Span<bool> maskBytes = MemoryMarshal.Cast<float, bool>(maskBuffer.Span);
                Span<bool> mask = placement == GuardedBuffer.Placement.AtEnd ? maskBytes[(maskBytes.Length - maskValues.Length)..] : maskBytes[..maskValues.Length];
                maskValues.CopyTo(mask);
                D64GqaCausalWindow8.Forward(query.Span, key.Span, value.Span, output.Span, n, m, mask, bias.Span);
                Tolerance.AssertClose(expected, output.Span, 2e-5f, $"mask and bias {placement} N={n} M={m}");
            }

            int[] queryOffsets = [0, 1, 46, 46, 53];
            int[] keyOffsets = [0, 45, 52, 60, 61];
            (float[] pq, float[] pk, float[] pv) = new SplitMix64(3).NextAttentionInputs(queryOffsets[^1], keyOffsets[^1], heads, kvGroups, headDim);
            float[] packedExpected = new float[pq.Length];
            AttentionReference.ForwardPacked(pq, pk, pv, packedExpected, queryOffsets, keyOffsets, heads, kvGroups, headDim, pattern);
            using var packedQuery = new GuardedBuffer(pq, placement);
            using var packedKey = new GuardedBuffer(pk, placement);
            using var packedValue = new GuardedBuffer(pv, placement);
            using var packedOutput = new GuardedBuffer(new float[pq.Length], placement);
            D64GqaCausalWindow8.Forward(packedQuery.Span, packedKey.Span, packedValue.Span, packedOutput.Span, queryOffsets, keyOffsets);
            Tolerance.AssertClose(packedExpected, packedOutput.Span, 2e-5f, $"packed batch {placement}");
        }
    }
}
