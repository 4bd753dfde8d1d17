using System.Runtime.Intrinsics;
using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Proves which instruction-set tier this test run exercises, so a CI run that forgot to switch tiers
/// (or a runtime that ignored the switch) fails instead of silently testing the same path four times.
/// </summary>
public sealed class TierTests
{
    [Fact]
    public void RunsOnTheTierTheEnvironmentSelects()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.False(Vector128.IsHardwareAccelerated, "DOTNET_EnableHWIntrinsic=0 should leave only the scalar path.");
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(Vector256.IsHardwareAccelerated, "DOTNET_EnableAVX2=0 should leave Vector128 as the widest path.");
            Assert.True(Vector128.IsHardwareAccelerated);
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0" || Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated, "DOTNET_EnableAVX512=0 should leave Vector256 as the widest path.");
            Assert.True(Vector256.IsHardwareAccelerated);
        }
        else if (Environment.GetEnvironmentVariable("ATTENTION_EXPECT_TIER") is { } expected)
        {
            // CI names the tier it expects for the default run, so a machine without AVX-512 is noticed.
            Assert.Equal(expected, WidestTier());
        }
        else if (System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            // Default run without an expectation: Vector512 must be live exactly when the CPU has AVX-512.
            Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Vector512.IsHardwareAccelerated);
        }
    }

    private static string WidestTier()
        => Vector512.IsHardwareAccelerated ? "Vector512"
            : Vector256.IsHardwareAccelerated ? "Vector256"
            : Vector128.IsHardwareAccelerated ? "Vector128"
            : "Scalar";
}
