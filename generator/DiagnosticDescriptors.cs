using Microsoft.CodeAnalysis;

namespace Attention.Generator;

/// <summary>
/// Every ATTN diagnostic. Each is an error that cannot be configured away: a configuration listed here
/// cannot produce a working kernel. docs/diagnostics.md documents each id.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Attention.Generated";

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static DiagnosticDescriptor HeadDimMissing { get; } = Error("ATTN0001",
        "HeadDim is required",
        "[Attention] on '{0}' must set HeadDim (features per head, 1 to 512)");

    public static DiagnosticDescriptor HeadDimOutOfRange { get; } = Error("ATTN0002",
        "HeadDim out of range",
        "[Attention] on '{0}' has HeadDim = {1}; expected a value from 1 to 512");

    public static DiagnosticDescriptor HeadsMissing { get; } = Error("ATTN0003",
        "Heads is required",
        "[Attention] on '{0}' must set Heads (number of query heads, at least 1)");

    public static DiagnosticDescriptor HeadsNotPositive { get; } = Error("ATTN0004",
        "Heads must be positive",
        "[Attention] on '{0}' has Heads = {1}; expected at least 1");

    public static DiagnosticDescriptor KvGroupsNotPositive { get; } = Error("ATTN0005",
        "KvGroups must be positive",
        "[Attention] on '{0}' has KvGroups = {1}; expected at least 1 (or leave it unset for KvGroups = Heads)");

    public static DiagnosticDescriptor KvGroupsDoNotDivideHeads { get; } = Error("ATTN0006",
        "KvGroups must divide Heads",
        "[Attention] on '{0}' has KvGroups = {1}, which does not divide Heads = {2}; each key/value head must serve the same number of query heads");

    public static DiagnosticDescriptor WindowNegative { get; } = Error("ATTN0007",
        "Window must not be negative",
        "[Attention] on '{0}' has Window = {1}; expected 0 (no window) or a positive window size");

    public static DiagnosticDescriptor ScaleInvalid { get; } = Error("ATTN0008",
        "Scale must be finite and not negative",
        "[Attention] on '{0}' has Scale = {1}; expected a finite value > 0, or 0 for 1/sqrt(HeadDim)");

    public static DiagnosticDescriptor ClassNotPartial { get; } = Error("ATTN0009",
        "Class must be partial",
        "Class '{0}' has [Attention] but is not partial; declare it 'static partial class {0}' so the generated kernel can be added to it");

    public static DiagnosticDescriptor ClassNotStatic { get; } = Error("ATTN0010",
        "Class must be static",
        "Class '{0}' has [Attention] but is not static; declare it 'static partial class {0}' (the kernel holds no state)");

    public static DiagnosticDescriptor ClassGeneric { get; } = Error("ATTN0011",
        "Class must not be generic",
        "Class '{0}' has [Attention] but it or a type containing it is generic; a kernel is specialized to one configuration, so declare it in a non-generic class");

    public static DiagnosticDescriptor ContainingTypeNotPartial { get; } = Error("ATTN0012",
        "Containing type must be partial",
        "Class '{0}' has [Attention] and is nested in '{1}', which is not partial; mark every containing type partial");

    public static DiagnosticDescriptor PatternConflict { get; } = Error("ATTN0013",
        "Pattern properties conflict",
        "[Attention] on '{0}' sets {1} and {2}, which cannot be combined: {3}");

    public static DiagnosticDescriptor PatternOutOfRange { get; } = Error("ATTN0014",
        "Pattern property out of range",
        "[Attention] on '{0}' has {1} = {2}; expected {3}");

    public static DiagnosticDescriptor PatternIncomplete { get; } = Error("ATTN0015",
        "Pattern property needs another",
        "[Attention] on '{0}' sets {1}, which needs {2}");
}
