using Attention.Tests.TestData;
using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// The PyTorch float64 golden cases through the generated kernel of the matching configuration, on
/// whichever tier this run has (the suite runs under all four).
/// </summary>
public sealed class KernelGoldenTests
{
    [Theory]
    [MemberData(nameof(GoldenCase.All), MemberType = typeof(GoldenCase))]
    public void GeneratedKernelMatchesPyTorch(string name)
    {
        GoldenCase golden = GoldenCase.Load(name);
        KernelCase kernel = KernelConfigurations.Find(golden.HeadDim, golden.Heads, golden.KvGroups, golden.Causal, golden.Window);
        for (int batch = 0; batch < golden.Batch; batch++)
        {
            float[] output = new float[golden.QueryElements];
            kernel.Forward(golden.QueryOf(batch), golden.KeyOf(batch), golden.ValueOf(batch), output, golden.QueryLength, golden.KeyLength);
            Tolerance.AssertClose(golden.OutputOf(batch), output, 2e-5f, $"{name} batch {batch} through {kernel.Name}");
        }
    }
}
