using System;

namespace Attention.Benchmarks.Peers;

/// <summary>
/// ONNX Runtime's contrib <c>com.microsoft.MultiHeadAttention</c>: query [1, N, Heads*HeadDim], key/value
/// [1, M, Heads*HeadDim] (the same token-major layout as ours, bound without copies), <c>unidirectional</c> for
/// causal. Multi-head only (no grouped key/value heads), no window.
/// </summary>
public sealed class OrtMultiHeadAttention : OrtRunner
{
    public OrtMultiHeadAttention(AttentionInputs inputs) : base("ORT MultiHeadAttention", inputs)
    {
        var s = Shape;
        if (Unsupported(s) is string reason) throw new NotSupportedException(reason);
        long n = s.QueryLength, m = s.KeyLength, q = s.Heads * s.HeadDim, kv = s.KvGroups * s.HeadDim;
        var model = new OnnxModelBuilder()
            .Opset("", 21).Opset("com.microsoft", 1)
            .Node("MultiHeadAttention", "com.microsoft", new[] { "query", "key", "value" }, new[] { "output" })
            .Attribute("num_heads", s.Heads)
            .Attribute("scale", s.Scale)
            .Attribute("unidirectional", UsesCausalMask(s) ? 1L : 0L)
            .Input("query", OnnxElementType.Float, 1, n, q)
            .Input("key", OnnxElementType.Float, 1, m, kv)
            .Input("value", OnnxElementType.Float, 1, m, kv)
            .Output("output", OnnxElementType.Float, 1, n, q)
            .Build();
        CreateSession(model);
        BindInput("query", Inputs.Query, 1, n, q);
        BindInput("key", Inputs.Key, 1, m, kv);
        BindInput("value", Inputs.Value, 1, m, kv);
        BindOutput("output", OutputBuffer, 1, n, q);
    }

    /// <summary>A single query at the end of the sequence sees every key with or without the causal mask, so
    /// decode runs unmasked (ORT's mask alignment then cannot matter).</summary>
    private static bool UsesCausalMask(AttentionShape s) => s.Causal && s.QueryLength > 1;

    public static string? Unsupported(AttentionShape s) =>
        s.KvGroups != s.Heads ? "MultiHeadAttention needs as many key/value heads as query heads"
        : s.Window > 0 ? "MultiHeadAttention has no sliding window"
        : UsesCausalMask(s) && s.QueryLength != s.KeyLength ? "causal with 1 < N < M: ORT aligns the mask differently"
        : null;
}

/// <summary>
/// The ONNX standard <c>Attention</c> operator (opset 23) with 3-D inputs: Q [1, N, Heads*HeadDim], K/V
/// [1, M, KvGroups*HeadDim] (our layout, bound without copies), <c>q_num_heads</c>/<c>kv_num_heads</c> for grouped
/// queries, <c>is_causal</c> for causal. Its causal mask is top-left aligned, so it is used only where that equals
/// ours (N = M, or a single decode query run unmasked). No window (it would need an N x M mask input).
/// </summary>
public sealed class OrtOnnxAttention : OrtRunner
{
    public OrtOnnxAttention(AttentionInputs inputs) : base("ORT Attention (opset 23)", inputs)
    {
        var s = Shape;
        if (Unsupported(s) is string reason) throw new NotSupportedException(reason);
        long n = s.QueryLength, m = s.KeyLength, q = s.Heads * s.HeadDim, kv = s.KvGroups * s.HeadDim;
        var model = new OnnxModelBuilder { IrVersion = 11 }
            .Opset("", 23)
            .Node("Attention", "", new[] { "Q", "K", "V" }, new[] { "Y" })
            .Attribute("q_num_heads", s.Heads)
            .Attribute("kv_num_heads", s.KvGroups)
            .Attribute("scale", s.Scale)
            .Attribute("is_causal", UsesCausalMask(s) ? 1L : 0L)
            .Input("Q", OnnxElementType.Float, 1, n, q)
            .Input("K", OnnxElementType.Float, 1, m, kv)
            .Input("V", OnnxElementType.Float, 1, m, kv)
            .Output("Y", OnnxElementType.Float, 1, n, q)
            .Build();
        CreateSession(model);
        BindInput("Q", Inputs.Query, 1, n, q);
        BindInput("K", Inputs.Key, 1, m, kv);
        BindInput("V", Inputs.Value, 1, m, kv);
        BindOutput("Y", OutputBuffer, 1, n, q);
    }

    private static bool UsesCausalMask(AttentionShape s) => s.Causal && s.QueryLength > 1;

    public static string? Unsupported(AttentionShape s) =>
        s.Window > 0 ? "the Attention operator has no sliding window (it would need an N x M mask)"
        : UsesCausalMask(s) && s.QueryLength != s.KeyLength ? "causal with 1 < N < M: the Attention operator's causal mask is top-left aligned"
        : null;
}

/// <summary>
/// ONNX Runtime's contrib <c>com.microsoft.GroupQueryAttention</c>, always causal, with an optional
/// <c>local_window_size</c>. In ORT 1.31's CPU kernel <c>local_window_size = W</c> keeps exactly our W most recent
/// keys including the query's own (W - 1 drops one key too many; the setup check catches such drift).
/// <para>Prefill (N = M): query [1, N, Heads*HeadDim], key/value [1, N, KvGroups*HeadDim] bound over our buffers,
/// no past; ORT also writes present_key/present_value [1, KvGroups, M, HeadDim] (its BNSH cache), as it must.</para>
/// <para>Decode (N = 1), the way ORT is meant to be used for generation: the cache lives in ORT's BNSH layout
/// [1, KvGroups, M, HeadDim]. With <c>sharedBuffer</c> past_key and present_key are bound to the same buffer
/// (ORT's past-present share-buffer path: the new token's key is written into slot M - 1 in place, nothing is
/// copied); without it, past holds M - 1 tokens and ORT copies them into a fresh present every step.</para>
/// </summary>
public sealed class OrtGroupQueryAttention : OrtRunner
{
    public OrtGroupQueryAttention(AttentionInputs inputs, bool sharedBuffer = true)
        : base(inputs.Shape.IsDecode ? (sharedBuffer ? "ORT GQA (shared KV buffer)" : "ORT GQA (KV copy)") : "ORT GroupQueryAttention", inputs)
    {
        var s = Shape;
        if (Unsupported(s) is string reason) throw new NotSupportedException(reason);
        long n = s.QueryLength, m = s.KeyLength, d = s.HeadDim, g = s.KvGroups, q = s.Heads * d, kv = g * d;

        bool decode = s.IsDecode && m > 1;
        long pastLength = decode ? (sharedBuffer ? m : m - 1) : 0;
        var inputNames = decode
            ? new[] { "query", "key", "value", "past_key", "past_value", "seqlens_k", "total_sequence_length" }
            : new[] { "query", "key", "value", "", "", "seqlens_k", "total_sequence_length" };
        var builder = new OnnxModelBuilder()
            .Opset("", 21).Opset("com.microsoft", 1)
            .Node("GroupQueryAttention", "com.microsoft", inputNames, new[] { "output", "present_key", "present_value" })
            .Attribute("num_heads", s.Heads)
            .Attribute("kv_num_heads", s.KvGroups)
            .Attribute("scale", s.Scale)
            .Input("query", OnnxElementType.Float, 1, n, q)
            .Input("key", OnnxElementType.Float, 1, n, kv)
            .Input("value", OnnxElementType.Float, 1, n, kv);
        if (s.Window > 0) builder.Attribute("local_window_size", (long)s.Window);
        if (decode)
        {
            builder.Input("past_key", OnnxElementType.Float, 1, g, pastLength, d)
                   .Input("past_value", OnnxElementType.Float, 1, g, pastLength, d);
        }
        builder.Input("seqlens_k", OnnxElementType.Int32, 1)
               .Input("total_sequence_length", OnnxElementType.Int32)
               .Output("output", OnnxElementType.Float, 1, n, q)
               .Output("present_key", OnnxElementType.Float, 1, g, m, d)
               .Output("present_value", OnnxElementType.Float, 1, g, m, d);
        CreateSession(builder.Build());

        BindInput("query", Inputs.Query, 1, n, q);
        BindInt32Input("seqlens_k", new[] { (int)m - 1 }, 1);
        BindInt32Input("total_sequence_length", new[] { (int)m });
        BindOutput("output", OutputBuffer, 1, n, q);

        var presentKey = Own(new NativeBuffer(g * m * d));
        var presentValue = Own(new NativeBuffer(g * m * d));
        if (!decode)
        {
            BindInput("key", Inputs.Key, 1, n, kv);
            BindInput("value", Inputs.Value, 1, n, kv);
        }
        else
        {
            // The new token is the last row of our token-major K/V: bind it in place.
            long offset = (m - 1) * kv * sizeof(float);
            BindTensorInput("key", Inputs.Key, offset, 1, 1, kv);
            BindTensorInput("value", Inputs.Value, offset, 1, 1, kv);
            if (sharedBuffer)
            {
                // The whole cache (including slot M - 1, which ORT rewrites with the same values) in BNSH.
                ToHeadMajor(Inputs.Key.Span, presentKey.Span, (int)m, (int)g, (int)d, (int)m);
                ToHeadMajor(Inputs.Value.Span, presentValue.Span, (int)m, (int)g, (int)d, (int)m);
                BindInput("past_key", presentKey, 1, g, m, d);
                BindInput("past_value", presentValue, 1, g, m, d);
            }
            else
            {
                var pastKey = Own(new NativeBuffer(g * (m - 1) * d));
                var pastValue = Own(new NativeBuffer(g * (m - 1) * d));
                ToHeadMajor(Inputs.Key.Span, pastKey.Span, (int)m - 1, (int)g, (int)d, (int)m - 1);
                ToHeadMajor(Inputs.Value.Span, pastValue.Span, (int)m - 1, (int)g, (int)d, (int)m - 1);
                BindInput("past_key", pastKey, 1, g, m - 1, d);
                BindInput("past_value", pastValue, 1, g, m - 1, d);
            }
        }
        BindOutput("present_key", presentKey, 1, g, m, d);
        BindOutput("present_value", presentValue, 1, g, m, d);
    }

    private void BindTensorInput(string name, NativeBuffer buffer, long byteOffset, params long[] shape)
        => BindValue(name, FloatTensor(buffer.Pointer + (nint)byteOffset, buffer.ByteLength - byteOffset, shape));

    /// <summary>[tokens][groups][dim] (ours) to [groups][capacity][dim] (ORT's BNSH cache).</summary>
    private static void ToHeadMajor(ReadOnlySpan<float> source, Span<float> destination, int tokens, int groups, int dim, int capacity)
    {
        for (int t = 0; t < tokens; t++)
            for (int g = 0; g < groups; g++)
                source.Slice((t * groups + g) * dim, dim).CopyTo(destination.Slice((g * capacity + t) * dim, dim));
    }

    public static string? Unsupported(AttentionShape s) =>
        !s.Causal ? "GroupQueryAttention is always causal"
        : s.QueryLength != s.KeyLength && !s.IsDecode ? "chunked prefill (1 < N < M) is not benchmarked with GroupQueryAttention"
        : s.HeadDim % 8 != 0 ? "GroupQueryAttention needs HeadDim % 8 == 0"
        : null;
}
