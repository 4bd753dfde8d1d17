using Attention;

namespace Attention.Tests.Patterns;

/// <summary>A generated kernel with a sparse or windowed pattern, the pattern as the reference spells it, and its entry points.</summary>
public sealed record PatternCase(string Name, int HeadDim, int Heads, int KvGroups, AttentionPattern Pattern, PatternCase.ForwardFunction Forward,
    PatternCase.GlobalForwardFunction? ForwardWithGlobals = null)
{
    public delegate void ForwardFunction(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output, int queryLength, int keyLength);

    public delegate void GlobalForwardFunction(ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output, int queryLength, int keyLength,
        ReadOnlySpan<int> globalPositions);

    public override string ToString() => Name;
}

/// <summary>
/// Pattern kernels under test: asymmetric and chunked windows, Longformer, BigBird, Sparse Transformer strided and
/// fixed, each causal and bidirectional, over awkward head dims and every attention kind (MHA, GQA, MQA).
/// </summary>
public static class PatternConfigurations
{
    public static readonly PatternCase[] All =
    [
        new(nameof(AsymmetricD40Gqa), 40, 4, 2, new() { WindowLeft = 5, WindowRight = 2 }, AsymmetricD40Gqa.Forward),
        new(nameof(AsymmetricLeftOnlyCausalD64), 64, 4, 1, new() { Causal = true, WindowLeft = 9 }, AsymmetricLeftOnlyCausalD64.Forward),
        new(nameof(AsymmetricRightOnlyD8), 8, 2, 2, new() { WindowRight = 3 }, AsymmetricRightOnlyD8.Forward),
        new(nameof(AsymmetricZeroLeftD96), 96, 2, 1, new() { WindowLeft = 0, WindowRight = 40 }, AsymmetricZeroLeftD96.Forward),
        new(nameof(ChunkCausalD128Gqa), 128, 8, 2, new() { Causal = true, Chunk = 16 }, ChunkCausalD128Gqa.Forward),
        new(nameof(ChunkBidirectionalD80), 80, 3, 3, new() { Chunk = 7 }, ChunkBidirectionalD80.Forward),
        new(nameof(ChunkWindowCausalD17), 17, 2, 1, new() { Causal = true, Window = 5, Chunk = 12 }, ChunkWindowCausalD17.Forward),
        new(nameof(LongformerD64Gqa), 64, 4, 2, new() { GlobalTokens = true, Window = 4 }, LongformerD64Gqa.Forward, LongformerD64Gqa.Forward),
        new(nameof(LongformerCausalD32), 32, 2, 2, new() { Causal = true, GlobalTokens = true, WindowLeft = 3 }, LongformerCausalD32.Forward, LongformerCausalD32.Forward),
        new(nameof(LongformerChunkD24Mqa), 24, 3, 1, new() { GlobalTokens = true, Chunk = 8 }, LongformerChunkD24Mqa.Forward, LongformerChunkD24Mqa.Forward),
        new(nameof(BigBirdD64), 64, 4, 4, new() { BlockSize = 8, RandomBlocks = 2, Seed = 7 }, BigBirdD64.Forward),
        new(nameof(BigBirdCausalD40Mqa), 40, 2, 1, new() { Causal = true, BlockSize = 5, RandomBlocks = 1, Seed = -3 }, BigBirdCausalD40Mqa.Forward),
        new(nameof(BigBirdD256), 256, 2, 2, new() { BlockSize = 16, RandomBlocks = 3, Seed = 1 }, BigBirdD256.Forward),
        new(nameof(StridedCausalD64Gqa), 64, 4, 2, new() { Causal = true, Stride = 6 }, StridedCausalD64Gqa.Forward),
        new(nameof(StridedBidirectionalD24), 24, 2, 2, new() { Stride = 5 }, StridedBidirectionalD24.Forward),
        new(nameof(FixedCausalD128Mqa), 128, 4, 1, new() { Causal = true, FixedBlock = 8, FixedSummary = 2 }, FixedCausalD128Mqa.Forward),
        new(nameof(FixedBidirectionalD8), 8, 2, 2, new() { FixedBlock = 5 }, FixedBidirectionalD8.Forward),
        new(nameof(TopK1ArgmaxD64Gqa), 64, 4, 2, new() { TopK = 1 }, TopK1ArgmaxD64Gqa.Forward),
        new(nameof(TopK5CausalD40Mqa), 40, 2, 1, new() { Causal = true, TopK = 5 }, TopK5CausalD40Mqa.Forward),
        new(nameof(TopK3WindowD8), 8, 2, 2, new() { Window = 6, TopK = 3 }, TopK3WindowD8.Forward),
        new(nameof(TopK64CausalD128), 128, 4, 4, new() { Causal = true, TopK = 64 }, TopK64CausalD128.Forward),
        new(nameof(TopK4LongformerD32), 32, 2, 2, new() { GlobalTokens = true, Window = 3, TopK = 4 }, TopK4LongformerD32.Forward, TopK4LongformerD32.Forward),
    ];
}

[Attention(HeadDim = 40, Heads = 4, KvGroups = 2, WindowLeft = 5, WindowRight = 2)] public static partial class AsymmetricD40Gqa;
[Attention(HeadDim = 64, Heads = 4, KvGroups = 1, Causal = true, WindowLeft = 9)] public static partial class AsymmetricLeftOnlyCausalD64;
[Attention(HeadDim = 8, Heads = 2, WindowRight = 3)] public static partial class AsymmetricRightOnlyD8;
[Attention(HeadDim = 96, Heads = 2, KvGroups = 1, WindowLeft = 0, WindowRight = 40)] public static partial class AsymmetricZeroLeftD96;
[Attention(HeadDim = 128, Heads = 8, KvGroups = 2, Causal = true, Chunk = 16)] public static partial class ChunkCausalD128Gqa;
[Attention(HeadDim = 80, Heads = 3, Chunk = 7)] public static partial class ChunkBidirectionalD80;
[Attention(HeadDim = 17, Heads = 2, KvGroups = 1, Causal = true, Window = 5, Chunk = 12)] public static partial class ChunkWindowCausalD17;
[Attention(HeadDim = 64, Heads = 4, KvGroups = 2, GlobalTokens = true, Window = 4)] public static partial class LongformerD64Gqa;
[Attention(HeadDim = 32, Heads = 2, Causal = true, GlobalTokens = true, WindowLeft = 3)] public static partial class LongformerCausalD32;
[Attention(HeadDim = 24, Heads = 3, KvGroups = 1, GlobalTokens = true, Chunk = 8)] public static partial class LongformerChunkD24Mqa;
[Attention(HeadDim = 64, Heads = 4, BlockSize = 8, RandomBlocks = 2, Seed = 7)] public static partial class BigBirdD64;
[Attention(HeadDim = 40, Heads = 2, KvGroups = 1, Causal = true, BlockSize = 5, RandomBlocks = 1, Seed = -3)] public static partial class BigBirdCausalD40Mqa;
[Attention(HeadDim = 256, Heads = 2, BlockSize = 16, RandomBlocks = 3, Seed = 1)] public static partial class BigBirdD256;
[Attention(HeadDim = 64, Heads = 4, KvGroups = 2, Causal = true, Stride = 6)] public static partial class StridedCausalD64Gqa;
[Attention(HeadDim = 24, Heads = 2, Stride = 5)] public static partial class StridedBidirectionalD24;
[Attention(HeadDim = 128, Heads = 4, KvGroups = 1, Causal = true, FixedBlock = 8, FixedSummary = 2)] public static partial class FixedCausalD128Mqa;
[Attention(HeadDim = 8, Heads = 2, FixedBlock = 5)] public static partial class FixedBidirectionalD8;
[Attention(HeadDim = 64, Heads = 4, KvGroups = 2, TopK = 1)] public static partial class TopK1ArgmaxD64Gqa;
[Attention(HeadDim = 40, Heads = 2, KvGroups = 1, Causal = true, TopK = 5)] public static partial class TopK5CausalD40Mqa;
[Attention(HeadDim = 8, Heads = 2, Window = 6, TopK = 3)] public static partial class TopK3WindowD8;
[Attention(HeadDim = 128, Heads = 4, Causal = true, TopK = 64)] public static partial class TopK64CausalD128;
[Attention(HeadDim = 32, Heads = 2, GlobalTokens = true, Window = 3, TopK = 4)] public static partial class TopK4LongformerD32;
