using System;

namespace Attention;

/// <summary>
/// Marks a <c>static partial class</c> for which the Attention.Generated source generator emits a scaled
/// dot-product attention kernel specialized to exactly this configuration.
/// </summary>
/// <remarks>
/// <para>The generated class gains
/// <c>public static void Forward(ReadOnlySpan&lt;float&gt; query, ReadOnlySpan&lt;float&gt; key, ReadOnlySpan&lt;float&gt; value, Span&lt;float&gt; output, int queryLength, int keyLength)</c>.
/// Tensors are float32, row-major and token-major: <c>query</c> and <c>output</c> are
/// <c>[queryLength][Heads][HeadDim]</c>; <c>key</c> and <c>value</c> are <c>[keyLength][KvGroups][HeadDim]</c>.</para>
/// <para>Query <c>i</c> of <c>N = queryLength</c> sits at absolute position <c>p = M - N + i</c> among
/// <c>M = keyLength</c> keys (bottom-right alignment: prefill is N = M, a decode step is N = 1 against the
/// cache). A query row that sees no key outputs zeros.</para>
/// <para>Configurations that cannot work are compile-time errors with ATTN diagnostic ids (docs/diagnostics.md).</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class AttentionAttribute : Attribute
{
    /// <summary>
    /// Required. Number of features per head, from 1 to 512. Multiples of 8 are the fastest path; any other
    /// value is still vectorized, with the last partial vector zero-padded in the kernel's scratch.
    /// </summary>
    public int HeadDim { get; set; }

    /// <summary>Required. Number of query heads, at least 1.</summary>
    public int Heads { get; set; }

    /// <summary>
    /// Number of key/value heads; defaults to <see cref="Heads"/> (multi-head attention). 1 is multi-query
    /// attention, anything between is grouped-query attention. Must divide <see cref="Heads"/>: query head
    /// <c>h</c> reads key/value head <c>h / (Heads / KvGroups)</c>. Leave it unset for <c>KvGroups = Heads</c>; 0 or a negative value is a
    /// compile-time error (ATTN0005).
    /// </summary>
    public int KvGroups { get; set; }

    /// <summary>
    /// When true, query position <c>p</c> sees only keys <c>j &lt;= p</c> (look-ahead mask). Positions use
    /// bottom-right alignment, so decode and chunked prefill need no offset argument. Default false.
    /// </summary>
    public bool Causal { get; set; }

    /// <summary>
    /// Sliding window <c>W</c>. When greater than 0, query position <c>p</c> sees only keys with
    /// <c>|p - j| &lt; W</c>: with <see cref="Causal"/> the W most recent keys including itself (as in Mistral),
    /// without it a band of 2W - 1 keys. 0 (the default) means no window. Negative is a compile-time error.
    /// </summary>
    public int Window { get; set; }

    /// <summary>
    /// Multiplier applied to every query-key dot product before the softmax. 0 (the default) means
    /// <c>1 / sqrt(HeadDim)</c>. Negative, NaN or infinite values are compile-time errors.
    /// </summary>
    public float Scale { get; set; }
}
