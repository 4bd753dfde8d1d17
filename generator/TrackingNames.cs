namespace Attention.Generator;

/// <summary>Names of the incremental pipeline's steps, so tests can assert which steps stayed cached.</summary>
public static class TrackingNames
{
    /// <summary>The attribute parsed into a spec plus diagnostics.</summary>
    public const string Spec = nameof(Spec);

    /// <summary>The spec alone (what the source output depends on).</summary>
    public const string Model = nameof(Model);

    /// <summary>The diagnostics alone.</summary>
    public const string Diagnostics = nameof(Diagnostics);
}
