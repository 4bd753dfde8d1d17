using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Transformer-XL style segment memory: the current segment's queries attend to the cached previous segment
/// plus the current one. With bottom-right alignment this is just keyLength = memory + current and
/// queryLength = current, no offset argument.
/// </summary>
public sealed class SegmentMemoryTests
{
    [Theory]
    [InlineData(48, 16)]
    [InlineData(100, 37)]
    [InlineData(64, 1)]
    public void CurrentSegmentAttendsToMemoryAndItself(int memoryLength, int segmentLength)
    {
        KernelCase kernel = KernelConfigurations.Find(128, 32, 8, true, 0);
        int keyLength = memoryLength + segmentLength;
        int keyRow = kernel.KvGroups * kernel.HeadDim;

        // Keys and values: the cached segment first, the current segment after it, one contiguous cache.
        float[] memoryKeys = KernelVersusReferenceTests.Random(memoryLength * keyRow, 1);
        float[] memoryValues = KernelVersusReferenceTests.Random(memoryLength * keyRow, 2);
        float[] segmentKeys = KernelVersusReferenceTests.Random(segmentLength * keyRow, 3);
        float[] segmentValues = KernelVersusReferenceTests.Random(segmentLength * keyRow, 4);
        float[] key = [.. memoryKeys, .. segmentKeys];
        float[] value = [.. memoryValues, .. segmentValues];
        float[] query = KernelVersusReferenceTests.Random(segmentLength * kernel.Heads * kernel.HeadDim, 5);

        float[] expected = new float[query.Length];
        float[] actual = new float[query.Length];
        AttentionReference.Forward(query, key, value, expected, segmentLength, keyLength, kernel.Heads, kernel.KvGroups, kernel.HeadDim, causal: true);
        kernel.Forward(query, key, value, actual, segmentLength, keyLength);
        Tolerance.AssertClose(expected, actual, 2e-5f, $"memory {memoryLength} + segment {segmentLength}");

        if (segmentLength == 1)
        {
            return;
        }

        // The first query of the segment sits at position memoryLength: it sees the whole memory and itself,
        // so changing the current segment's last key must not change its output.
        segmentKeys[(segmentLength - 1) * keyRow] += 1f;
        float[] changedKey = [.. memoryKeys, .. segmentKeys];
        float[] again = new float[query.Length];
        kernel.Forward(query, changedKey, value, again, segmentLength, keyLength);
        int firstQueryElements = kernel.Heads * kernel.HeadDim;
        Assert.Equal(actual.AsSpan(0, firstQueryElements).ToArray(), again.AsSpan(0, firstQueryElements).ToArray());
    }
}
