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
    /// Asymmetric window, left side: when 0 or more, query position <c>p</c> sees only keys <c>j &gt;= p - WindowLeft</c>
    /// (as FlashAttention's <c>window_size = (left, right)</c>). Unset (-1) means unbounded. Cannot be combined with
    /// <see cref="Window"/> (ATTN0013); with <see cref="Causal"/>, <c>WindowLeft = W - 1</c> is the same as <c>Window = W</c>.
    /// </summary>
    public int WindowLeft { get; set; } = -1;

    /// <summary>
    /// Asymmetric window, right side: when 0 or more, query position <c>p</c> sees only keys <c>j &lt;= p + WindowRight</c>.
    /// Unset (-1) means unbounded. Cannot be combined with <see cref="Window"/> or <see cref="Causal"/> (ATTN0013).
    /// </summary>
    public int WindowRight { get; set; } = -1;

    /// <summary>
    /// Chunked local attention (as in Llama 4): when <c>C &gt; 0</c>, query position <c>p</c> sees only keys in its own
    /// chunk, <c>floor(j / C) == floor(p / C)</c> (positions, so chunks start at key 0). Combines with <see cref="Causal"/>
    /// and the windows (every condition must hold). 0, the default, means no chunking.
    /// </summary>
    public int Chunk { get; set; }

    /// <summary>
    /// Global + local attention (Longformer): the generated class gains <c>Forward</c> overloads that take
    /// <c>ReadOnlySpan&lt;int&gt; globalPositions</c>, sorted distinct key positions in <c>[0, keyLength)</c>. A global key is
    /// seen by every query; a query whose position is global sees every key; every other pair follows the local
    /// window (<see cref="Window"/>, <see cref="WindowLeft"/>/<see cref="WindowRight"/> or <see cref="Chunk"/>, one of which is
    /// required: ATTN0015). <see cref="Causal"/> still applies to global pairs.
    /// </summary>
    public bool GlobalTokens { get; set; }

    /// <summary>
    /// BigBird block-sparse attention (the ITC pattern) with blocks of <c>B = BlockSize</c> positions. With
    /// <c>qb = floor(p / B)</c>, <c>kb = floor(j / B)</c> and <c>K = ceil(keyLength / B)</c> key blocks, key <c>j</c> is visible
    /// from position <c>p</c> when <c>|qb - kb| &lt;= 1</c> (a three-block window), <c>kb</c> or <c>qb</c> is a global block
    /// (the first, 0, or the last, K - 1), or <c>kb</c> is one of the <see cref="RandomBlocks"/> random blocks of <c>qb</c>
    /// (<see cref="Kernels.BigBirdLayout.RandomKeyBlocks"/>, reproducible from <see cref="Seed"/>). 0 means not BigBird.
    /// </summary>
    public int BlockSize { get; set; }

    /// <summary>BigBird: random key blocks per query block (0 or more; needs <see cref="BlockSize"/>).</summary>
    public int RandomBlocks { get; set; }

    /// <summary>BigBird: seed of the random key blocks (needs <see cref="BlockSize"/>). Same seed, same blocks, on every machine.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// Sparse Transformer, strided pattern (Child et al., 2019) with stride <c>l = Stride</c>: key <c>j</c> is visible from
    /// position <c>p</c> when <c>|p - j| &lt; l</c> (the local part) or <c>(p - j) mod l == 0</c> (the strided part). Use
    /// with <see cref="Causal"/> for the paper's autoregressive form. 0 means not strided.
    /// </summary>
    public int Stride { get; set; }

    /// <summary>
    /// Sparse Transformer, fixed pattern with blocks of <c>l = FixedBlock</c>: key <c>j</c> is visible from position <c>p</c>
    /// when <c>floor(j / l) == floor(p / l)</c> (same block) or <c>j mod l &gt;= l - c</c> with <c>c =</c>
    /// <see cref="FixedSummary"/> (the summary positions at the end of every block). 0 means not fixed.
    /// </summary>
    public int FixedBlock { get; set; }

    /// <summary>Fixed pattern: summary positions per block, 1 to <see cref="FixedBlock"/>; unset means 1.</summary>
    public int FixedSummary { get; set; }

    /// <summary>
    /// Hard attention: when <c>K &gt; 0</c>, each query keeps only its K highest-scoring visible keys (ties go to the lower
    /// key index) and the softmax runs over those alone; K = 1 is argmax attention. Scores are compared after scaling and
    /// any bias, as the kernel computes them in float32 (where the K-th and the next score of a query differ by less than
    /// float rounding, which of the two is kept can differ from a double-precision computation). The scores are computed
    /// twice (once to select, once to attend) plus the selection: about 3.3 times the time of the same attention without
    /// it at K = 32 and 4,096 keys. 1 to 256; 0 (the default) keeps every visible key. Key ranges are never split across
    /// cores, so a decode step with TopK runs each key/value head's keys on one core.
    /// </summary>
    public int TopK { get; set; }

    /// <summary>
    /// Multiplier applied to every query-key dot product before the softmax. 0 (the default) means
    /// <c>1 / sqrt(HeadDim)</c>. Negative, NaN or infinite values are compile-time errors.
    /// </summary>
    public float Scale { get; set; }
}
