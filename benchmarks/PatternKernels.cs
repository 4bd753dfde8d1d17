// The [Attention] classes of the pattern, mask/bias and batch benchmarks (Features/). Like OurKernels.cs, this file
// depends on the source generator's output and is left out with the Features/ folder when ExcludeOurKernels=true.
// Every class is listed with the AttentionPattern it must match in Features/FeatureCases.cs; the benchmark setup
// checks each against AttentionReference with that pattern before timing anything.
namespace Attention.Benchmarks.Kernels
{
    // Asymmetric window (FlashAttention's window_size = (256, 64)): 256 keys to the left, 64 to the right.
    [Attention(HeadDim = 64, Heads = 8, WindowLeft = 256, WindowRight = 64)] public static partial class Mha8D64WindowL256R64;

    // Chunked local attention (Llama 4 style): causal inside chunks of 512 positions.
    [Attention(HeadDim = 128, Heads = 32, KvGroups = 8, Causal = true, Chunk = 512)] public static partial class Gqa32x8D128Chunk512;

    // Longformer: band of |p - j| < 256 plus global positions given at run time.
    [Attention(HeadDim = 64, Heads = 8, GlobalTokens = true, Window = 256)] public static partial class Mha8D64Longformer256;

    // BigBird ITC: blocks of 64, three-block window, first/last global blocks, 3 random blocks per query block.
    [Attention(HeadDim = 64, Heads = 8, BlockSize = 64, RandomBlocks = 3, Seed = 1)] public static partial class Mha8D64BigBird64;

    // Sparse Transformer, causal: strided (l = 64) and fixed (l = 64, c = 8).
    [Attention(HeadDim = 64, Heads = 8, Causal = true, Stride = 64)] public static partial class Mha8D64Strided64;
    [Attention(HeadDim = 64, Heads = 8, Causal = true, FixedBlock = 64, FixedSummary = 8)] public static partial class Mha8D64Fixed64x8;

    // Hard attention: each query's 32 best keys under the causal mask (every causal score is computed to find them).
    [Attention(HeadDim = 64, Heads = 8, Causal = true, TopK = 32)] public static partial class Mha8D64TopK32;
}
