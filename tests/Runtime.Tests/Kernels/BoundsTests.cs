using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Every tensor of a call placed flush against an inaccessible page, at its end and at its start: a kernel
/// that reads or writes one element outside a span crashes the run. Covers every configuration, with shapes
/// whose last key tile, last query tile and head dimension are all partial, and decode shapes whose key tiles are
/// read straight from the cache up to its very last element.
/// </summary>
public sealed class BoundsTests
{
    public static TheoryData<string> Kernels() => KernelVersusReferenceTests.Kernels();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void NeverTouchesMemoryOutsideTheSpans(string name)
    {
        if (!GuardedBuffer.IsSupported)
        {
            return; // Guard pages need Linux mmap/mprotect; CI runs on Linux.
        }

        KernelCase kernel = KernelConfigurations.All.Single(k => k.Name == name);
        foreach (GuardedBuffer.Placement placement in new[] { GuardedBuffer.Placement.AtEnd, GuardedBuffer.Placement.AtStart })
        {
            foreach ((int queryLength, int keyLength) in new[] { (1, 1), (7, 45), (45, 7), (33, 33), (1, 96), (3, 192) })
            {
                float[] queryData = KernelVersusReferenceTests.Random(queryLength * kernel.Heads * kernel.HeadDim, 5);
                float[] keyData = KernelVersusReferenceTests.Random(keyLength * kernel.KvGroups * kernel.HeadDim, 6);
                float[] valueData = KernelVersusReferenceTests.Random(keyLength * kernel.KvGroups * kernel.HeadDim, 7);
                float[] expected = new float[queryData.Length];
                AttentionReference.Forward(queryData, keyData, valueData, expected, queryLength, keyLength,
                    kernel.Heads, kernel.KvGroups, kernel.HeadDim, kernel.Causal, kernel.Window, kernel.Scale);

                using var query = new GuardedBuffer(queryData, placement);
                using var key = new GuardedBuffer(keyData, placement);
                using var value = new GuardedBuffer(valueData, placement);
                using var output = new GuardedBuffer(new float[queryData.Length], placement);
                kernel.Forward(query.Span, key.Span, value.Span, output.Span, queryLength, keyLength);
                Tolerance.AssertClose(expected, output.Span, 2e-5f, $"{name} {placement} N={queryLength} M={keyLength}");
            }
        }
    }
}
