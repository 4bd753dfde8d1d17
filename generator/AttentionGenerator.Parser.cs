using System.Collections.Immutable;
using System.Globalization;
using Attention.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Attention.Generator;

public sealed partial class AttentionGenerator
{
    /// <summary>The attribute's properties and their limits, shared with the diagnostics' wording.</summary>
    internal const int MaxHeadDim = 512;

    /// <summary>Largest TopK (the runtime's AttentionPattern.MaxTopK).</summary>
    internal const int MaxTopK = 256;

    /// <summary>
    /// Reads one [Attention] class into a <see cref="KernelSpec"/> (null when the configuration cannot work)
    /// and the diagnostics that explain why. This is the only step that sees symbols and syntax.
    /// </summary>
    internal static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var classSyntax = (TypeDeclarationSyntax)context.TargetNode;
        var symbol = (INamedTypeSymbol)context.TargetSymbol;

        // The attribute on two parts of one partial class is already CS0579; generating for both would add the
        // same file twice. Only the first attributed part is parsed.
        // Roslyn hands each part every matching attribute of its file; only those written on this part count.
        var ownAttributes = context.Attributes
            .Where(a => a.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() == classSyntax)
            .ToList();
        if (ownAttributes.Count != 1 || !IsFirstAttributedPart(symbol, classSyntax, cancellationToken))
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        Location location = classSyntax.Identifier.GetLocation();
        string className = symbol.Name;
        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();

        // Shape of the class: the generated code reopens it (and every containing type) as 'static partial'.
        if (!classSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, location, className));
        }

        if (!symbol.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotStatic, location, className));
        }

        bool generic = symbol.IsGenericType;
        var containingTypes = new List<ContainingType>();
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            cancellationToken.ThrowIfCancellationRequested();
            generic |= outer.IsGenericType;
            var declaration = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (declaration is null || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, location, className, outer.Name));
            }

            containingTypes.Insert(0, new ContainingType(TypeKeyword(declaration), outer.Name, outer.IsStatic));
        }

        if (generic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassGeneric, location, className));
        }

        // The configuration: named arguments of the attribute, checked one property at a time.
        AttributeData attribute = ownAttributes[0];
        Location attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? location;
        int? headDim = null, heads = null, kvGroups = null;
        int window = 0;
        bool causal = false;
        float scale = 0f;
        int windowLeft = -1, windowRight = -1, chunk = 0, blockSize = 0, randomBlocks = 0, seed = 0, stride = 0, fixedBlock = 0, fixedSummary = 0, topK = 0;
        bool globalTokens = false;
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            object? value = argument.Value.Value;
            switch (argument.Key)
            {
                case "HeadDim" when value is int v: headDim = v; break;
                case "Heads" when value is int v: heads = v; break;
                case "KvGroups" when value is int v: kvGroups = v; break;
                case "Window" when value is int v: window = v; break;
                case "Causal" when value is bool v: causal = v; break;
                case "Scale" when value is float v: scale = v; break;
                case "WindowLeft" when value is int v: windowLeft = v; break;
                case "WindowRight" when value is int v: windowRight = v; break;
                case "Chunk" when value is int v: chunk = v; break;
                case "GlobalTokens" when value is bool v: globalTokens = v; break;
                case "BlockSize" when value is int v: blockSize = v; break;
                case "RandomBlocks" when value is int v: randomBlocks = v; break;
                case "Seed" when value is int v: seed = v; break;
                case "Stride" when value is int v: stride = v; break;
                case "FixedBlock" when value is int v: fixedBlock = v; break;
                case "FixedSummary" when value is int v: fixedSummary = v; break;
                case "TopK" when value is int v: topK = v; break;
            }
        }

        if (headDim is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadDimMissing, attributeLocation, className));
        }
        else if (headDim < 1 || headDim > MaxHeadDim)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadDimOutOfRange, attributeLocation, className, Format(headDim.Value)));
        }

        if (heads is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadsMissing, attributeLocation, className));
        }
        else if (heads < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HeadsNotPositive, attributeLocation, className, Format(heads.Value)));
        }

        if (kvGroups is not null && kvGroups < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KvGroupsNotPositive, attributeLocation, className, Format(kvGroups.Value)));
        }
        else if (kvGroups is not null && heads is > 0 && heads % kvGroups != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KvGroupsDoNotDivideHeads, attributeLocation, className,
                Format(kvGroups.Value), Format(heads.Value)));
        }

        if (window < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowNegative, attributeLocation, className, Format(window)));
        }

        // The kernel multiplies the scale by log2(e); a scale whose product overflows is as unusable as infinity.
        if (float.IsNaN(scale) || float.IsInfinity(scale) || scale < 0f || float.IsInfinity(scale * Log2E))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ScaleInvalid, attributeLocation, className,
                scale.ToString("R", CultureInfo.InvariantCulture)));
        }

        var pattern = new PatternSpec(windowLeft, windowRight, chunk, globalTokens, blockSize, randomBlocks, seed, stride, fixedBlock, fixedSummary, topK);
        CheckPattern(pattern, causal, window, className, attributeLocation, diagnostics);

        var diagnosticArray = new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable());
        if (diagnostics.Count > 0)
        {
            return new ParseResult(null, diagnosticArray);
        }

        bool scaleIsDefault = scale == 0f;
        var spec = new KernelSpec(
            Namespace: symbol.ContainingNamespace.IsGlobalNamespace ? null : NamespaceName(symbol.ContainingNamespace),
            ContainingTypes: new EquatableArray<ContainingType>(containingTypes.ToImmutableArray()),
            ClassName: className,
            HeadDim: headDim!.Value,
            Heads: heads!.Value,
            KvGroups: kvGroups ?? heads.Value,
            Causal: causal,
            Window: window,
            Pattern: pattern,
            Scale: scaleIsDefault ? (float)(1.0 / Math.Sqrt(headDim.Value)) : scale,
            ScaleIsDefault: scaleIsDefault);
        return new ParseResult(spec, diagnosticArray);
    }

    /// <summary>
    /// The pattern rules (the runtime's AttentionPattern.Validate states the same ones): sizes in range (ATTN0014),
    /// no two definitions of the same thing (ATTN0013), nothing that depends on a property left unset (ATTN0015).
    /// </summary>
    private static void CheckPattern(PatternSpec pattern, bool causal, int window, string className, Location location,
        ImmutableArray<DiagnosticInfo>.Builder diagnostics)
    {
        void Range(string name, int value, string expected)
            => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PatternOutOfRange, location, className, name, Format(value), expected));
        void Conflict(string first, string second, string why)
            => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PatternConflict, location, className, first, second, why));
        void Needs(string name, string needed)
            => diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PatternIncomplete, location, className, name, needed));

        if (pattern.WindowLeft < -1) Range("WindowLeft", pattern.WindowLeft, "-1 (unbounded) or more");
        if (pattern.WindowRight < -1) Range("WindowRight", pattern.WindowRight, "-1 (unbounded) or more");
        if (pattern.Chunk < 0) Range("Chunk", pattern.Chunk, "0 (no chunks) or more");
        if (pattern.BlockSize < 0) Range("BlockSize", pattern.BlockSize, "0 (not BigBird) or more");
        if (pattern.RandomBlocks < 0) Range("RandomBlocks", pattern.RandomBlocks, "0 or more");
        if (pattern.Stride < 0) Range("Stride", pattern.Stride, "0 (not strided) or more");
        if (pattern.FixedBlock < 0) Range("FixedBlock", pattern.FixedBlock, "0 (not fixed) or more");
        if (pattern.FixedBlock > 0 && (pattern.FixedSummary < 0 || pattern.FixedSummary > pattern.FixedBlock))
            Range("FixedSummary", pattern.FixedSummary, $"1 to FixedBlock ({Format(pattern.FixedBlock)})");

        if (pattern.TopK < 0 || pattern.TopK > MaxTopK) Range("TopK", pattern.TopK, $"0 (keep every key) to {Format(MaxTopK)}");

        if (window > 0 && pattern.WindowLeft >= 0) Conflict("Window", "WindowLeft", "Window is the symmetric form; use WindowLeft and WindowRight alone for an asymmetric window");
        if (window > 0 && pattern.WindowRight >= 0) Conflict("Window", "WindowRight", "Window is the symmetric form; use WindowLeft and WindowRight alone for an asymmetric window");
        if (causal && pattern.WindowRight >= 0) Conflict("Causal", "WindowRight", "Causal already hides every key to the right");

        var families = new List<string>();
        if (pattern.GlobalTokens) families.Add("GlobalTokens");
        if (pattern.BlockSize > 0) families.Add("BlockSize");
        if (pattern.Stride > 0) families.Add("Stride");
        if (pattern.FixedBlock > 0) families.Add("FixedBlock");
        // Two sparse patterns have one fix (drop one), so the two rules below that assume a single pattern stay quiet.
        bool singlePattern = families.Count <= 1;
        if (!singlePattern) Conflict(families[0], families[1], "a kernel has at most one sparse pattern (Longformer, BigBird, strided or fixed)");

        string? local = window > 0 ? "Window" : pattern.WindowLeft >= 0 ? "WindowLeft" : pattern.WindowRight >= 0 ? "WindowRight" : pattern.Chunk > 0 ? "Chunk" : null;
        string? ownLocal = pattern.BlockSize > 0 ? "BlockSize" : pattern.Stride > 0 ? "Stride" : pattern.FixedBlock > 0 ? "FixedBlock" : null;
        if (singlePattern && local is not null && ownLocal is not null) Conflict(ownLocal, local, $"{ownLocal} defines its own local part");

        if (singlePattern && pattern.GlobalTokens && local is null) Needs("GlobalTokens", "a local part: Window, WindowLeft, WindowRight or Chunk");
        if (pattern.BlockSize == 0 && pattern.RandomBlocks != 0) Needs("RandomBlocks", "BlockSize (BigBird)");
        if (pattern.BlockSize == 0 && pattern.Seed != 0) Needs("Seed", "BlockSize (BigBird)");
        if (pattern.FixedBlock == 0 && pattern.FixedSummary != 0) Needs("FixedSummary", "FixedBlock");
    }

    /// <summary>log2(e) as the emitted kernel spells it.</summary>
    internal const float Log2E = 1.4426950408889634f;

    /// <summary>Dotted namespace name without '@' escapes (the emitter escapes keywords where needed).</summary>
    private static string NamespaceName(INamespaceSymbol ns)
    {
        var parts = new List<string>();
        for (INamespaceSymbol? current = ns; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            parts.Insert(0, current.Name);
        }

        return string.Join(".", parts);
    }

    private static bool IsFirstAttributedPart(INamedTypeSymbol symbol, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var attributedParts = symbol.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == AttributeMetadataName)
            .Select(a => a.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>())
            .ToList();
        if (attributedParts.Count <= 1)
        {
            return true;
        }

        return symbol.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .First(part => attributedParts.Contains(part)) == declaration;
    }

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string TypeKeyword(TypeDeclarationSyntax? declaration) => declaration switch
    {
        RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
        RecordDeclarationSyntax => "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}

/// <summary>The parse step's output: a spec when the configuration is valid, and any diagnostics.</summary>
internal sealed record ParseResult(KernelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
