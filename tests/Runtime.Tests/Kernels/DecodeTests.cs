using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Decode steps and short chunks against long caches. With few rows per key/value head there are fewer work
/// items than threads, so the key range is split across items and the parts are merged by log-sum-exp
/// (flash-decoding); windows leave some parts with no visible key at all.
/// </summary>
public sealed class DecodeTests
{
    [Theory]
    [InlineData(32, 8, 1, true, 0, 1, 3000)]
    [InlineData(32, 8, 1, true, 0, 3, 2500)]
    [InlineData(1, 2, 1, false, 0, 1, 5000)]
    [InlineData(128, 8, 1, true, 33, 1, 2100)]
    [InlineData(128, 8, 1, true, 33, 2, 2100)]
    [InlineData(256, 2, 1, true, 0, 1, 1000)]
    [InlineData(128, 32, 8, true, 0, 1, 1500)]
    [InlineData(80, 2, 1, false, 3, 1, 1800)]
    public void LongCacheMatchesReference(int headDim, int heads, int kvGroups, bool causal, int window, int queryLength, int keyLength)
    {
        KernelCase kernel = KernelConfigurations.Find(headDim, heads, kvGroups, causal, window);
        KernelVersusReferenceTests.CheckAgainstReference(kernel, queryLength, keyLength, seed: keyLength + queryLength, inputScale: 1f, tolerance: 2e-5f);
    }
}
