using Attention;

namespace Attention.Tests.Kernels;

/// <summary>A generated kernel under test with the configuration it was generated for.</summary>
public sealed record KernelCase(string Name, int HeadDim, int Heads, int KvGroups, bool Causal, int Window, float Scale, KernelCase.ForwardFunction Forward)
{
    public delegate void ForwardFunction(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output, int queryLength, int keyLength);

    public override string ToString() => Name;
}

/// <summary>
/// The generated kernels the tests compare with the reference: head dims 1 to 512 (multiples of 8 and
/// awkward ones), multi-head, grouped-query and multi-query, causal and bidirectional, windows of 1, small,
/// and wider than any test sequence, default and explicit scales.
/// </summary>
public static class KernelConfigurations
{
    public static readonly KernelCase[] All =
    [
        new(nameof(D1Mqa), 1, 2, 1, false, 0, 0f, D1Mqa.Forward),
        new(nameof(D3Causal), 3, 1, 1, true, 0, 0f, D3Causal.Forward),
        new(nameof(D7CausalScale2), 7, 2, 2, true, 0, 2f, D7CausalScale2.Forward),
        new(nameof(D8MhaCausal), 8, 4, 4, true, 0, 0f, D8MhaCausal.Forward),
        new(nameof(D8MqaWindow1), 8, 3, 1, false, 1, 0f, D8MqaWindow1.Forward),
        new(nameof(D17GqaScale), 17, 6, 3, false, 0, 0.3f, D17GqaScale.Forward),
        new(nameof(D24GqaCausalWindow5), 24, 6, 2, true, 5, 0f, D24GqaCausalWindow5.Forward),
        new(nameof(D32MhaWindow5), 32, 2, 2, false, 5, 0f, D32MhaWindow5.Forward),
        new(nameof(D32MqaCausal), 32, 8, 1, true, 0, 0f, D32MqaCausal.Forward),
        new(nameof(D40Mha), 40, 5, 5, false, 0, 0f, D40Mha.Forward),
        new(nameof(D40GqaCausal), 40, 4, 2, true, 0, 0f, D40GqaCausal.Forward),
        new(nameof(D64Mha), 64, 4, 4, false, 0, 0f, D64Mha.Forward),
        new(nameof(D64MhaCausal), 64, 4, 4, true, 0, 0f, D64MhaCausal.Forward),
        new(nameof(D64GqaCausalWindow8), 64, 4, 2, true, 8, 0f, D64GqaCausalWindow8.Forward),
        new(nameof(D64CausalWindow1), 64, 1, 1, true, 1, 0f, D64CausalWindow1.Forward),
        new(nameof(D80MhaCausal), 80, 4, 4, true, 0, 0f, D80MhaCausal.Forward),
        new(nameof(D80MqaWindow3), 80, 2, 1, false, 3, 0f, D80MqaWindow3.Forward),
        new(nameof(D96Gqa), 96, 8, 2, false, 0, 0f, D96Gqa.Forward),
        new(nameof(D96CausalWideWindow), 96, 3, 3, true, 1000, 0f, D96CausalWideWindow.Forward),
        new(nameof(D100MqaCausal), 100, 4, 1, true, 0, 0f, D100MqaCausal.Forward),
        new(nameof(D100MhaWindow17), 100, 2, 2, false, 17, 0f, D100MhaWindow17.Forward),
        new(nameof(D128Mha), 128, 4, 4, false, 0, 0f, D128Mha.Forward),
        new(nameof(D128GqaCausal), 128, 8, 2, true, 0, 0f, D128GqaCausal.Forward),
        new(nameof(D128LlamaCausal), 128, 32, 8, true, 0, 0f, D128LlamaCausal.Forward),
        new(nameof(D128MqaCausalWindow33), 128, 8, 1, true, 33, 0f, D128MqaCausalWindow33.Forward),
        new(nameof(D256MqaCausal), 256, 2, 1, true, 0, 0f, D256MqaCausal.Forward),
        new(nameof(D256GqaWindow9), 256, 4, 2, false, 9, 0f, D256GqaWindow9.Forward),
        new(nameof(D512Mha), 512, 2, 2, false, 0, 0f, D512Mha.Forward),
        new(nameof(D512MqaCausalWindow20), 512, 2, 1, true, 20, 0f, D512MqaCausalWindow20.Forward),
    ];

    public static KernelCase Find(int headDim, int heads, int kvGroups, bool causal, int window)
        => All.First(c => c.HeadDim == headDim && c.Heads == heads && c.KvGroups == kvGroups && c.Causal == causal && c.Window == window && c.Scale == 0f);
}

[Attention(HeadDim = 1, Heads = 2, KvGroups = 1)] public static partial class D1Mqa;
[Attention(HeadDim = 3, Heads = 1, Causal = true)] public static partial class D3Causal;
[Attention(HeadDim = 7, Heads = 2, Causal = true, Scale = 2f)] public static partial class D7CausalScale2;
[Attention(HeadDim = 8, Heads = 4, Causal = true)] public static partial class D8MhaCausal;
[Attention(HeadDim = 8, Heads = 3, KvGroups = 1, Window = 1)] public static partial class D8MqaWindow1;
[Attention(HeadDim = 17, Heads = 6, KvGroups = 3, Scale = 0.3f)] public static partial class D17GqaScale;
[Attention(HeadDim = 24, Heads = 6, KvGroups = 2, Causal = true, Window = 5)] public static partial class D24GqaCausalWindow5;
[Attention(HeadDim = 32, Heads = 2, Window = 5)] public static partial class D32MhaWindow5;
[Attention(HeadDim = 32, Heads = 8, KvGroups = 1, Causal = true)] public static partial class D32MqaCausal;
[Attention(HeadDim = 40, Heads = 5)] public static partial class D40Mha;
[Attention(HeadDim = 40, Heads = 4, KvGroups = 2, Causal = true)] public static partial class D40GqaCausal;
[Attention(HeadDim = 64, Heads = 4)] public static partial class D64Mha;
[Attention(HeadDim = 64, Heads = 4, Causal = true)] public static partial class D64MhaCausal;
[Attention(HeadDim = 64, Heads = 4, KvGroups = 2, Causal = true, Window = 8)] public static partial class D64GqaCausalWindow8;
[Attention(HeadDim = 64, Heads = 1, Causal = true, Window = 1)] public static partial class D64CausalWindow1;
[Attention(HeadDim = 80, Heads = 4, Causal = true)] public static partial class D80MhaCausal;
[Attention(HeadDim = 80, Heads = 2, KvGroups = 1, Window = 3)] public static partial class D80MqaWindow3;
[Attention(HeadDim = 96, Heads = 8, KvGroups = 2)] public static partial class D96Gqa;
[Attention(HeadDim = 96, Heads = 3, Causal = true, Window = 1000)] public static partial class D96CausalWideWindow;
[Attention(HeadDim = 100, Heads = 4, KvGroups = 1, Causal = true)] public static partial class D100MqaCausal;
[Attention(HeadDim = 100, Heads = 2, Window = 17)] public static partial class D100MhaWindow17;
[Attention(HeadDim = 128, Heads = 4)] public static partial class D128Mha;
[Attention(HeadDim = 128, Heads = 8, KvGroups = 2, Causal = true)] public static partial class D128GqaCausal;
[Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true)] public static partial class D128LlamaCausal;
[Attention(HeadDim = 128, Heads = 8, KvGroups = 1, Causal = true, Window = 33)] public static partial class D128MqaCausalWindow33;
[Attention(HeadDim = 256, Heads = 2, KvGroups = 1, Causal = true)] public static partial class D256MqaCausal;
[Attention(HeadDim = 256, Heads = 4, KvGroups = 2, Window = 9)] public static partial class D256GqaWindow9;
[Attention(HeadDim = 512, Heads = 2)] public static partial class D512Mha;
[Attention(HeadDim = 512, Heads = 2, KvGroups = 1, Causal = true, Window = 20)] public static partial class D512MqaCausalWindow20;
