using System;

namespace Attention.Benchmarks;

/// <summary>The runtime's reference implementation (<see cref="AttentionReference"/>) with a shape bound: the
/// specification every implementation is checked against, and a (slow) benchmark arm on small shapes.</summary>
public static class ReferencePath
{
    public static void Forward(AttentionShape s, ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output)
        => AttentionReference.Forward(query, key, value, output, s.QueryLength, s.KeyLength,
            s.Heads, s.KvGroups, s.HeadDim, s.Causal, s.Window, s.Scale);

    public static IAttentionRunner Create(AttentionInputs inputs)
    {
        var s = inputs.Shape;
        return new DelegateRunner("Reference", inputs, (q, k, v, o, n, m) =>
            AttentionReference.Forward(q, k, v, o, n, m, s.Heads, s.KvGroups, s.HeadDim, s.Causal, s.Window, s.Scale));
    }
}
