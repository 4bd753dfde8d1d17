namespace Attention.Generator.Model;

/// <summary>
/// Everything the emitter needs to know about one [Attention] class, as plain values: no symbols or syntax,
/// so equal configurations compare equal across compilations and the emit step stays cached.
/// </summary>
/// <param name="Namespace">Containing namespace, or null for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing partial types, outermost first.</param>
/// <param name="ClassName">The annotated class.</param>
/// <param name="HeadDim">Features per head (1 to 512).</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvGroups">Key/value heads; divides <paramref name="Heads"/>.</param>
/// <param name="Causal">Look-ahead mask.</param>
/// <param name="Window">Sliding window, 0 for none.</param>
/// <param name="Pattern">Which keys each query sees beyond causal and window (see <see cref="PatternSpec"/>).</param>
/// <param name="Scale">Effective softmax scale (the attribute's, or 1/sqrt(HeadDim)).</param>
/// <param name="ScaleIsDefault">True when <paramref name="Scale"/> came from the 1/sqrt(HeadDim) default.</param>
internal sealed record KernelSpec(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string ClassName,
    int HeadDim,
    int Heads,
    int KvGroups,
    bool Causal,
    int Window,
    PatternSpec Pattern,
    float Scale,
    bool ScaleIsDefault)
{
    /// <summary>Query heads that share one key/value head.</summary>
    public int HeadsPerGroup => Heads / KvGroups;

    /// <summary>Whether any compile-time mask limits which keys a query sees.</summary>
    public bool HasMask => Causal || Window > 0 || Pattern.HasAny;

    /// <summary>Whether some visible keys lie outside each query's interval (global, block-sparse, strided, fixed).</summary>
    public bool HasExtras => Pattern.HasExtras;

    /// <summary>Name used for the generated file.</summary>
    public string HintName
    {
        get
        {
            string prefix = Namespace is null ? string.Empty : Namespace + ".";
            foreach (ContainingType type in ContainingTypes)
            {
                prefix += type.Name + ".";
            }

            return prefix + ClassName + ".Attention.g.cs";
        }
    }
}

/// <summary>An enclosing type declaration to reopen around the generated members.</summary>
/// <param name="Keyword">The declaration keyword(s): "class", "struct", "record", "record struct", "interface".</param>
/// <param name="Name">The type's name.</param>
/// <param name="IsStatic">Whether the declaration is static.</param>
internal sealed record ContainingType(string Keyword, string Name, bool IsStatic);

/// <summary>
/// The pattern properties beyond Causal and Window, exactly as the attribute sets them (unset: WindowLeft and
/// WindowRight -1, the rest 0).
/// </summary>
internal sealed record PatternSpec(int WindowLeft, int WindowRight, int Chunk, bool GlobalTokens, int BlockSize, int RandomBlocks, int Seed,
    int Stride, int FixedBlock, int FixedSummary, int TopK)
{
    /// <summary>No pattern beyond Causal and Window.</summary>
    public static PatternSpec None { get; } = new(-1, -1, 0, false, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Whether any property that hides keys by position is set (TopK hides by score and needs no band).</summary>
    public bool HasAny => this with { TopK = 0 } != None;

    /// <summary>Whether the pattern has keys outside each query's interval.</summary>
    public bool HasExtras => GlobalTokens || BlockSize > 0 || Stride > 0 || FixedBlock > 0;
}
