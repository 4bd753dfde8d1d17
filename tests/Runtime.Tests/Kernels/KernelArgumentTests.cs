using Xunit;

namespace Attention.Tests.Kernels;

/// <summary>
/// Bad input through a generated <c>Forward</c>: each rule rejects before any work, with the argument's name,
/// and leaves the output untouched. (ArgumentValidationTests covers every rule's wording through the reference,
/// which shares the same validation.)
/// </summary>
public sealed class KernelArgumentTests
{
    private static readonly KernelCase Kernel = KernelConfigurations.Find(64, 4, 2, true, 8);
    private const int N = 5, M = 7;
    private static int QueryCount => N * Kernel.Heads * Kernel.HeadDim;
    private static int KeyCount => M * Kernel.KvGroups * Kernel.HeadDim;

    [Theory]
    [InlineData("query", -1, 0, 0, 0)]
    [InlineData("query", 1, 0, 0, 0)]
    [InlineData("key", 0, -1, 0, 0)]
    [InlineData("value", 0, 0, 1, 0)]
    [InlineData("output", 0, 0, 0, -1)]
    public void WrongSpanLengthIsRejectedBeforeAnyWork(string paramName, int queryDelta, int keyDelta, int valueDelta, int outputDelta)
    {
        float[] query = new float[QueryCount + queryDelta];
        float[] key = new float[KeyCount + keyDelta];
        float[] value = new float[KeyCount + valueDelta];
        float[] output = Enumerable.Repeat(7f, QueryCount + outputDelta).ToArray();
        var exception = Assert.ThrowsAny<ArgumentException>(() => Kernel.Forward(query, key, value, output, N, M));
        Assert.Equal(paramName, exception.ParamName);
        Assert.All(output, x => Assert.Equal(7f, x));
    }

    [Theory]
    [InlineData(-1, M, "queryLength")]
    [InlineData(N, -1, "keyLength")]
    public void NegativeLengthsAreOutOfRange(int queryLength, int keyLength, string paramName)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => Kernel.Forward(new float[QueryCount], new float[KeyCount], new float[KeyCount], new float[QueryCount], queryLength, keyLength));
        Assert.Equal(paramName, exception.ParamName);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("key")]
    [InlineData("value")]
    public void OutputOverlappingAnInputIsRejected(string input)
    {
        float[] buffer = new float[QueryCount + 2 * KeyCount + QueryCount];
        Memory<float> query = buffer.AsMemory(0, QueryCount);
        Memory<float> key = buffer.AsMemory(QueryCount, KeyCount);
        Memory<float> value = buffer.AsMemory(QueryCount + KeyCount, KeyCount);
        Memory<float> output = input switch
        {
            "query" => buffer.AsMemory(QueryCount / 2, QueryCount),
            "key" => buffer.AsMemory(QueryCount + KeyCount - QueryCount / 2, QueryCount),
            _ => buffer.AsMemory(QueryCount + 2 * KeyCount - QueryCount / 2, QueryCount),
        };
        var exception = Assert.Throws<ArgumentException>(() => Kernel.Forward(query.Span, key.Span, value.Span, output.Span, N, M));
        Assert.Equal("output", exception.ParamName);
        Assert.Contains(input, exception.Message);
    }

    [Fact]
    public void NoKeysGiveZeros()
    {
        float[] output = Enumerable.Repeat(7f, QueryCount).ToArray();
        Kernel.Forward(KernelVersusReferenceTests.Random(QueryCount, 1), [], [], output, N, 0);
        Assert.All(output, x => Assert.Equal(0f, x));
    }
}
