using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace Attention.Benchmarks;

/// <summary>
/// Batched prefill: 8 sequences of fixed pseudo-random lengths from 128 to 1024 tokens (GQA 32/8 d128, causal), through
/// the packed entry point (<c>Forward(q, k, v, o, queryOffsets, keyOffsets)</c>, the baseline), the padded one
/// (<c>Forward(q, k, v, o, batch, maxQueryLength, maxKeyLength, queryLengths, keyLengths)</c>, each sequence in a slot of
/// the longest length) and the single-sequence <c>Forward</c> called once per sequence over the packed tensors
/// (<c>Loop</c>). All three do the same useful work, each sequence's own causal pairs; padding is not work. The
/// [Attention] class is <c>Gqa32x8D128Causal</c> (OurKernels.cs).
/// </summary>
public class BatchBenchmarks : FeatureBenchmarkBase
{
    [ParamsSource(nameof(Cases))]
    public BatchCase Case { get; set; } = null!;

    public static IEnumerable<BatchCase> Cases()
    {
        yield return new BatchCase(32, 8, 128, Causal: true, Count: 8, MinLength: 128, MaxLength: 1024, Quick: true);
    }

    public delegate void PackedForward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        ReadOnlySpan<int> queryOffsets, ReadOnlySpan<int> keyOffsets);

    public delegate void PaddedForward(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
        int batch, int maxQueryLength, int maxKeyLength, ReadOnlySpan<int> queryLengths, ReadOnlySpan<int> keyLengths);

    /// <summary>The three entry points of the case's [Attention] class.</summary>
    public static (PackedForward Packed, PaddedForward Padded, AttentionForward Single) Resolve(BatchCase c) => (c.Heads, c.KvGroups, c.HeadDim, c.Causal) switch
    {
        (32, 8, 128, true) => (Kernels.Gqa32x8D128Causal.Forward, Kernels.Gqa32x8D128Causal.Forward, Kernels.Gqa32x8D128Causal.Forward),
        (8, 8, 128, true) => (Kernels.Mha8D128Causal.Forward, Kernels.Mha8D128Causal.Forward, Kernels.Mha8D128Causal.Forward),
        _ => throw new NotSupportedException($"No batch kernel for {c}; add one."),
    };

    public enum Layout { Packed, Padded, Loop }

    /// <summary>The packed tensors: [total tokens][heads][headDim] queries, [total tokens][kvGroups][headDim] keys and values.</summary>
    private static AttentionInputs PackedInputs(BatchCase c, int seed)
        => new(new AttentionShape(c.Heads, c.KvGroups, c.HeadDim, c.TotalTokens, c.TotalTokens, c.Causal), seed);

    /// <summary>One runner over the case's sequences; <see cref="FeatureRunner.Output"/> is in the packed layout for
    /// Packed and Loop and the padded layout [batch][longest][heads][headDim] for Padded.</summary>
    public static FeatureRunner Create(BatchCase c, Layout layout, int seed = 1234)
    {
        var (packed, padded, single) = Resolve(c);
        var inputs = PackedInputs(c, seed);
        int[] lengths = c.Lengths(), offsets = c.Offsets();
        int rowQ = c.Heads * c.HeadDim, rowK = c.KvGroups * c.HeadDim;
        switch (layout)
        {
            case Layout.Packed:
            {
                var output = new NativeBuffer((long)c.TotalTokens * rowQ);
                return new FeatureRunner("Ours packed", inputs,
                    () => packed(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, output.Span, offsets, offsets),
                    () => output.Span, output);
            }
            case Layout.Loop:
            {
                var output = new NativeBuffer((long)c.TotalTokens * rowQ);
                return new FeatureRunner("Ours loop", inputs, () =>
                {
                    var q = inputs.Query.Span;
                    var k = inputs.Key.Span;
                    var v = inputs.Value.Span;
                    var o = output.Span;
                    for (int b = 0; b < lengths.Length; b++)
                    {
                        int n = lengths[b];
                        single(q.Slice(offsets[b] * rowQ, n * rowQ), k.Slice(offsets[b] * rowK, n * rowK), v.Slice(offsets[b] * rowK, n * rowK),
                            o.Slice(offsets[b] * rowQ, n * rowQ), n, n);
                    }
                }, () => output.Span, output);
            }
            default:
            {
                int longest = c.LongestLength;
                var q = new NativeBuffer((long)lengths.Length * longest * rowQ);
                var k = new NativeBuffer((long)lengths.Length * longest * rowK);
                var v = new NativeBuffer((long)lengths.Length * longest * rowK);
                var output = new NativeBuffer((long)lengths.Length * longest * rowQ);
                for (int b = 0; b < lengths.Length; b++)
                {
                    inputs.Query.Span.Slice(offsets[b] * rowQ, lengths[b] * rowQ).CopyTo(q.Span.Slice(b * longest * rowQ));
                    inputs.Key.Span.Slice(offsets[b] * rowK, lengths[b] * rowK).CopyTo(k.Span.Slice(b * longest * rowK));
                    inputs.Value.Span.Slice(offsets[b] * rowK, lengths[b] * rowK).CopyTo(v.Span.Slice(b * longest * rowK));
                }
                return new FeatureRunner("Ours padded", inputs,
                    () => padded(q.Span, k.Span, v.Span, output.Span, lengths.Length, longest, longest, lengths, lengths),
                    () => output.Span, output, q, k, v);
            }
        }
    }

    /// <summary>Start of sequence <paramref name="b"/>'s output rows in the runner's layout.</summary>
    private static int OutputRow(BatchCase c, Layout layout, int b) => layout == Layout.Padded ? b * c.LongestLength : c.Offsets()[b];

    /// <summary>The small batch of the same configuration against <see cref="AttentionReference.ForwardPacked"/>, every valid row.</summary>
    public static void CheckSmall(BatchCase c, Layout layout)
    {
        var small = c.Small();
        using var runner = Create(small, layout, seed: 99);
        runner.Run();
        var inputs = runner.Inputs;
        int rowQ = small.Heads * small.HeadDim;
        var expected = new float[small.TotalTokens * rowQ];
        int[] offsets = small.Offsets(), lengths = small.Lengths();
        AttentionReference.ForwardPacked(inputs.Query.Span, inputs.Key.Span, inputs.Value.Span, expected, offsets, offsets,
            small.Heads, small.KvGroups, small.HeadDim, new AttentionPattern { Causal = small.Causal });
        for (int b = 0; b < lengths.Length; b++)
            FeatureVerification.Compare(runner.Name, $"{small}, sequence {b} ({lengths[b]} tokens)", small.Heads, small.HeadDim,
                expected.AsSpan(offsets[b] * rowQ, lengths[b] * rowQ), runner.Output.Slice(OutputRow(small, layout, b) * rowQ, lengths[b] * rowQ), "reference path");
    }

    public static FeatureRunner CreateVerified(BatchCase c, Layout layout)
    {
        CheckSmall(c, layout);
        return Create(c, layout).RunAndCheck(runner =>
        {
            var inputs = runner.Inputs;
            int[] offsets = c.Offsets(), lengths = c.Lengths();
            int rowQ = c.Heads * c.HeadDim, rowK = c.KvGroups * c.HeadDim;
            int longest = Array.IndexOf(lengths, lengths.Max());
            foreach (int b in new[] { 0, longest, lengths.Length - 1 }.Distinct())
            {
                int n = lengths[b];
                FeatureVerification.CheckSampledRows(runner.Name, $"{c}, sequence {b} ({n} tokens)", c.Heads, c.KvGroups, c.HeadDim,
                    inputs.Query.Span.Slice(offsets[b] * rowQ, n * rowQ), inputs.Key.Span.Slice(offsets[b] * rowK, n * rowK),
                    inputs.Value.Span.Slice(offsets[b] * rowK, n * rowK), runner.Output.Slice(OutputRow(c, layout, b) * rowQ, n * rowQ),
                    n, n, (i, j) => !c.Causal || j <= i);
            }
        });
    }

    [GlobalSetup(Target = nameof(Packed))]
    public void SetupPacked() => Setup(() =>
    {
        Console.WriteLine($"// {Case}: sequence lengths {string.Join(", ", Case.Lengths())} ({Case.TotalTokens} tokens, {Case.VisiblePairs} visible pairs per head)");
        return CreateVerified(Case, Layout.Packed);
    });

    [Benchmark(Baseline = true, Description = "Packed")]
    public void Packed() => RunCurrent();

    [GlobalSetup(Target = nameof(Padded))]
    public void SetupPadded() => Setup(() => CreateVerified(Case, Layout.Padded));

    [Benchmark(Description = "Padded")]
    public void Padded() => RunCurrent();

    [GlobalSetup(Target = nameof(Loop))]
    public void SetupLoop() => Setup(() => CreateVerified(Case, Layout.Loop));

    [Benchmark(Description = "Loop")]
    public void Loop() => RunCurrent();

    public static IEnumerable<(string Name, Action Check)> SmallChecks()
    {
        foreach (var c in Cases())
            foreach (var layout in new[] { Layout.Packed, Layout.Padded, Layout.Loop })
                yield return ($"Batch {layout} {c.Small()}", () => CheckSmall(c, layout));
    }
}
