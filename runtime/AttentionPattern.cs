using System;

namespace Attention;

/// <summary>
/// Which keys each query may see, as plain values: the masking part of an <see cref="AttentionAttribute"/>
/// configuration. Generated kernels carry one (built from their attribute) and <see cref="AttentionReference"/>
/// takes one, so a pattern is spelled the same way in both. Every property has the meaning documented on the
/// attribute property of the same name; <see cref="AttentionReference.IsVisible(int, int, int, int, AttentionPattern, ReadOnlySpan{int})"/>
/// is the rule written out.
/// </summary>
public sealed record AttentionPattern
{
    /// <summary>The largest <see cref="TopK"/> (the per-row lists live in each thread's scratch).</summary>
    public const int MaxTopK = 256;

    /// <summary>The dense pattern: every query sees every key.</summary>
    public static AttentionPattern Dense { get; } = new();

    /// <summary>Look-ahead mask: keys <c>j &lt;= p</c> only.</summary>
    public bool Causal { get; init; }

    /// <summary>Symmetric window W: keys with <c>|p - j| &lt; W</c>; 0 for none.</summary>
    public int Window { get; init; }

    /// <summary>Keys <c>j &gt;= p - WindowLeft</c>; -1 for unbounded.</summary>
    public int WindowLeft { get; init; } = -1;

    /// <summary>Keys <c>j &lt;= p + WindowRight</c>; -1 for unbounded.</summary>
    public int WindowRight { get; init; } = -1;

    /// <summary>Chunk size C: keys with <c>floor(j / C) == floor(p / C)</c>; 0 for none.</summary>
    public int Chunk { get; init; }

    /// <summary>Longformer: global positions given at run time see and are seen by everything.</summary>
    public bool GlobalTokens { get; init; }

    /// <summary>BigBird block size; 0 for not BigBird.</summary>
    public int BlockSize { get; init; }

    /// <summary>BigBird random key blocks per query block.</summary>
    public int RandomBlocks { get; init; }

    /// <summary>BigBird seed of the random blocks.</summary>
    public int Seed { get; init; }

    /// <summary>Sparse Transformer strided pattern's stride; 0 for none.</summary>
    public int Stride { get; init; }

    /// <summary>Sparse Transformer fixed pattern's block; 0 for none.</summary>
    public int FixedBlock { get; init; }

    /// <summary>Fixed pattern's summary positions per block; 0 means 1.</summary>
    public int FixedSummary { get; init; }

    /// <summary>Hard attention: keep each query's TopK best visible keys; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keys before <c>p - LeftReach</c> are hidden by the window; <see cref="long.MaxValue"/> when unbounded.</summary>
    internal long LeftReach => Window > 0 ? Window - 1L : WindowLeft >= 0 ? WindowLeft : long.MaxValue;

    /// <summary>Keys after <c>p + RightReach</c> are hidden by the window or the causal mask; <see cref="long.MaxValue"/> when unbounded.</summary>
    internal long RightReach => Causal ? 0 : Window > 0 ? Window - 1L : WindowRight >= 0 ? WindowRight : long.MaxValue;

    /// <summary>The summary width the fixed pattern uses.</summary>
    internal int EffectiveFixedSummary => FixedSummary == 0 ? 1 : FixedSummary;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (parameter <paramref name="parameterName"/>) when the pattern breaks a
    /// rule the generator enforces at compile time (ATTN0013 to ATTN0015): negative sizes, conflicting or dangling
    /// properties.
    /// </summary>
    /// <param name="parameterName">Name reported in the exception.</param>
    public void Validate(string parameterName)
    {
        string? problem = Problem();
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid attention pattern: {problem}.", parameterName);
        }
    }

    private string? Problem()
    {
        if (Window < 0) return $"Window must be 0 or more, but is {Window}";
        if (WindowLeft < -1) return $"WindowLeft must be -1 (unbounded) or more, but is {WindowLeft}";
        if (WindowRight < -1) return $"WindowRight must be -1 (unbounded) or more, but is {WindowRight}";
        if (Chunk < 0) return $"Chunk must be 0 or more, but is {Chunk}";
        if (BlockSize < 0) return $"BlockSize must be 0 or more, but is {BlockSize}";
        if (RandomBlocks < 0) return $"RandomBlocks must be 0 or more, but is {RandomBlocks}";
        if (Stride < 0) return $"Stride must be 0 or more, but is {Stride}";
        if (FixedBlock < 0) return $"FixedBlock must be 0 or more, but is {FixedBlock}";
        if (FixedSummary < 0 || (FixedBlock > 0 && FixedSummary > FixedBlock))
            return $"FixedSummary must be from 1 to FixedBlock ({FixedBlock}), but is {FixedSummary}";
        if (TopK < 0 || TopK > MaxTopK) return $"TopK must be from 0 to {MaxTopK}, but is {TopK}";
        if (Window > 0 && (WindowLeft >= 0 || WindowRight >= 0)) return "Window cannot be combined with WindowLeft or WindowRight";
        if (Causal && WindowRight >= 0) return "WindowRight cannot be combined with Causal (causal already bounds the right side)";
        int families = (GlobalTokens ? 1 : 0) + (BlockSize > 0 ? 1 : 0) + (Stride > 0 ? 1 : 0) + (FixedBlock > 0 ? 1 : 0);
        if (families > 1) return "at most one of GlobalTokens, BlockSize, Stride and FixedBlock can be set";
        bool local = Window > 0 || WindowLeft >= 0 || WindowRight >= 0 || Chunk > 0;
        if ((BlockSize > 0 || Stride > 0 || FixedBlock > 0) && local)
            return "BlockSize, Stride and FixedBlock define their own local part and cannot be combined with Window, WindowLeft, WindowRight or Chunk";
        if (GlobalTokens && !local) return "GlobalTokens needs a local part (Window, WindowLeft, WindowRight or Chunk)";
        if (BlockSize == 0 && (RandomBlocks != 0 || Seed != 0)) return "RandomBlocks and Seed need BlockSize";
        if (FixedBlock == 0 && FixedSummary != 0) return "FixedSummary needs FixedBlock";
        return null;
    }
}
