using System;
using System.Linq;
using Xunit;

namespace Attention.Tests;

/// <summary>
/// One test per rule of <see cref="Kernels.ForwardArguments.Validate"/>, driven through
/// <see cref="AttentionReference.Forward"/>, checking the exact exception type and its ParamName.
/// </summary>
public sealed class ArgumentValidationTests
{
    // A grouped-query configuration, so query-side and key-side sizes differ.
    private const int N = 3, M = 5, Heads = 4, KvGroups = 2, HeadDim = 8;
    private const int QueryCount = N * Heads * HeadDim;   // 96
    private const int KeyCount = M * KvGroups * HeadDim;  // 80

    [Theory]
    [InlineData(0, KvGroups, HeadDim, "heads")]
    [InlineData(-4, KvGroups, HeadDim, "heads")]
    [InlineData(Heads, 0, HeadDim, "kvGroups")]
    [InlineData(Heads, KvGroups, 0, "headDim")]
    public void Non_positive_configuration_is_out_of_range(int heads, int kvGroups, int headDim, string paramName)
    {
        Throws<ArgumentOutOfRangeException>(paramName, () => Forward(heads: heads, kvGroups: kvGroups, headDim: headDim));
    }

    [Fact]
    public void KvGroups_must_divide_heads()
    {
        var e = Throws<ArgumentException>("kvGroups", () => Forward(kvGroups: 3));
        Assert.Contains("must divide heads (4)", e.Message);
    }

    [Fact]
    public void Negative_query_length_is_out_of_range() =>
        Throws<ArgumentOutOfRangeException>("queryLength", () => Forward(n: -1));

    [Fact]
    public void Negative_key_length_is_out_of_range() =>
        Throws<ArgumentOutOfRangeException>("keyLength", () => Forward(m: -1));

    [Fact]
    public void Query_size_beyond_int_range_is_out_of_range()
    {
        // 65536 tokens × 1 head × 65536 features = 2^32 elements; the check must not wrap around to 0.
        Throws<ArgumentOutOfRangeException>("queryLength",
            () => Forward(queryCount: 0, outputCount: 0, n: 1 << 16, heads: 1, kvGroups: 1, headDim: 1 << 16));
    }

    [Fact]
    public void Key_size_beyond_int_range_is_out_of_range()
    {
        var e = Throws<ArgumentOutOfRangeException>("keyLength",
            () => Forward(queryCount: 0, outputCount: 0, keyCount: 0, valueCount: 0, n: 0, m: 1 << 16, heads: 1, kvGroups: 1, headDim: 1 << 16));
        Assert.Contains("4294967296", e.Message);
    }

    [Theory]
    [InlineData("query", -1)]
    [InlineData("query", 1)]
    [InlineData("output", -1)]
    [InlineData("output", 1)]
    public void Query_side_span_of_wrong_size_is_rejected(string paramName, int delta)
    {
        int wrong = QueryCount + delta;
        var e = Throws<ArgumentException>(paramName, () => Forward(
            queryCount: paramName == "query" ? wrong : QueryCount,
            outputCount: paramName == "output" ? wrong : QueryCount));
        Assert.Contains($"{paramName} has {wrong} elements", e.Message);
        Assert.Contains($"[queryLength][Heads][HeadDim] needs exactly {QueryCount}", e.Message);
    }

    [Theory]
    [InlineData("key", -1)]
    [InlineData("key", 1)]
    [InlineData("value", -1)]
    [InlineData("value", 1)]
    public void Key_side_span_of_wrong_size_is_rejected(string paramName, int delta)
    {
        int wrong = KeyCount + delta;
        var e = Throws<ArgumentException>(paramName, () => Forward(
            keyCount: paramName == "key" ? wrong : KeyCount,
            valueCount: paramName == "value" ? wrong : KeyCount));
        Assert.Contains($"{paramName} has {wrong} elements", e.Message);
        Assert.Contains($"[keyLength][KvGroups][HeadDim] needs exactly {KeyCount}", e.Message);
    }

    [Theory]
    [InlineData("query")]
    [InlineData("key")]
    [InlineData("value")]
    public void Output_overlapping_an_input_is_rejected(string input)
    {
        // The input starts the shared buffer; output starts on the input's last element.
        int inputCount = input == "query" ? QueryCount : KeyCount;
        var shared = new float[inputCount - 1 + QueryCount];
        var e = Throws<ArgumentException>("output", () => AttentionReference.Forward(
            input == "query" ? shared.AsSpan(0, QueryCount) : new float[QueryCount],
            input == "key" ? shared.AsSpan(0, KeyCount) : new float[KeyCount],
            input == "value" ? shared.AsSpan(0, KeyCount) : new float[KeyCount],
            shared.AsSpan(inputCount - 1, QueryCount),
            N, M, Heads, KvGroups, HeadDim));
        Assert.Contains($"must not overlap {input}", e.Message);
    }

    [Fact]
    public void Adjacent_spans_in_one_array_work_and_the_last_ends_at_the_array_end()
    {
        // query, key, value and output back to back in one array: touching is not overlapping, and output ends
        // exactly at the array's end.
        var separate = RandomInputs();
        var expected = new float[QueryCount];
        AttentionReference.Forward(separate.Query, separate.Key, separate.Value, expected, N, M, Heads, KvGroups, HeadDim);

        var packed = separate.Query.Concat(separate.Key).Concat(separate.Value).Concat(new float[QueryCount]).ToArray();
        var output = packed.AsSpan(packed.Length - QueryCount);
        AttentionReference.Forward(
            packed.AsSpan(0, QueryCount), packed.AsSpan(QueryCount, KeyCount), packed.AsSpan(QueryCount + KeyCount, KeyCount),
            output, N, M, Heads, KvGroups, HeadDim);

        Assert.Equal(expected, output.ToArray());
    }

    [Fact]
    public void Negative_window_is_out_of_range() =>
        Throws<ArgumentOutOfRangeException>("window", () => Forward(window: -1));

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Negative_or_non_finite_scale_is_out_of_range(float scale) =>
        Throws<ArgumentOutOfRangeException>("scale", () => Forward(scale: scale));

    [Fact]
    public void Zero_query_tokens_is_a_no_op()
    {
        // The empty output span sits inside a sentinel array; nothing around it may change.
        var sentinel = Enumerable.Repeat(float.NaN, 4).ToArray();
        var inputs = RandomInputs();
        AttentionReference.Forward([], inputs.Key, inputs.Value, sentinel.AsSpan(2, 0), 0, M, Heads, KvGroups, HeadDim);
        Assert.All(sentinel, x => Assert.True(float.IsNaN(x)));
    }

    [Theory]
    [InlineData("key")]
    [InlineData("value")]
    public void Zero_query_tokens_still_checks_key_and_value_sizes(string paramName)
    {
        Throws<ArgumentException>(paramName, () => Forward(
            queryCount: 0, outputCount: 0, n: 0,
            keyCount: paramName == "key" ? KeyCount - 1 : KeyCount,
            valueCount: paramName == "value" ? KeyCount - 1 : KeyCount));
    }

    [Fact]
    public void Zero_key_tokens_gives_zeros()
    {
        var query = RandomInputs().Query;
        var output = Enumerable.Repeat(float.NaN, QueryCount).ToArray();
        AttentionReference.Forward(query, [], [], output, N, 0, Heads, KvGroups, HeadDim);
        Assert.All(output, x => Assert.Equal(0, BitConverter.SingleToInt32Bits(x)));
    }

    // Assert.Throws<T> requires the exact type, so ArgumentOutOfRangeException does not pass for ArgumentException.
    private static T Throws<T>(string paramName, Action action) where T : ArgumentException
    {
        var e = Assert.Throws<T>(action);
        Assert.Equal(paramName, e.ParamName);
        return e;
    }

    private static void Forward(
        int queryCount = QueryCount, int keyCount = KeyCount, int valueCount = KeyCount, int outputCount = QueryCount,
        int n = N, int m = M, int heads = Heads, int kvGroups = KvGroups, int headDim = HeadDim,
        int window = 0, float scale = 0f) =>
        AttentionReference.Forward(
            new float[queryCount], new float[keyCount], new float[valueCount], new float[outputCount],
            n, m, heads, kvGroups, headDim, causal: false, window, scale);

    private static (float[] Query, float[] Key, float[] Value) RandomInputs()
    {
        var random = new TestData.SplitMix64(42);
        var query = new float[QueryCount];
        var key = new float[KeyCount];
        var value = new float[KeyCount];
        random.Fill(query);
        random.Fill(key);
        random.Fill(value);
        return (query, key, value);
    }
}
