using Microsoft.CodeAnalysis;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>
/// The public <c>Forward</c> overloads the generator adds to an [Attention] class: one sequence (plain, with a
/// boolean mask, an additive bias, or both), the global-positions overload for GlobalTokens (Longformer) kernels,
/// and the padded and packed batch overloads for every other kernel.
/// </summary>
internal static class ForwardOverloads
{
    private const string Tensors = "System.ReadOnlySpan<float> query, System.ReadOnlySpan<float> key, System.ReadOnlySpan<float> value, System.Span<float> output";

    /// <summary>The exact parameter lists, as <see cref="Signature"/> renders them, one per overload.</summary>
    public static string[] Expected(bool globalTokens)
    {
        var signatures = new List<string>
        {
            $"Forward({Tensors}, int queryLength, int keyLength)",
            $"Forward({Tensors}, int queryLength, int keyLength, System.ReadOnlySpan<bool> mask)",
            $"Forward({Tensors}, int queryLength, int keyLength, System.ReadOnlySpan<float> bias)",
            $"Forward({Tensors}, int queryLength, int keyLength, System.ReadOnlySpan<bool> mask, System.ReadOnlySpan<float> bias)",
        };
        if (globalTokens)
        {
            signatures.Add($"Forward({Tensors}, int queryLength, int keyLength, System.ReadOnlySpan<int> globalPositions)");
        }
        else
        {
            signatures.Add($"Forward({Tensors}, int batch, int maxQueryLength, int maxKeyLength, System.ReadOnlySpan<int> queryLengths, System.ReadOnlySpan<int> keyLengths)");
            signatures.Add($"Forward({Tensors}, System.ReadOnlySpan<int> queryOffsets, System.ReadOnlySpan<int> keyOffsets)");
        }

        return signatures.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Asserts that the class <paramref name="metadataName"/> has exactly the expected <c>Forward</c> overloads, each
    /// <c>public static void</c> and declared in generated code, and that its AttentionGeneratedKernel exists.
    /// </summary>
    public static void AssertExactly(GeneratorRun run, string metadataName, bool globalTokens = false)
    {
        INamedTypeSymbol kernel = run.OutputCompilation.GetTypeByMetadataName(metadataName)
            ?? throw new InvalidOperationException($"{metadataName} not found");
        IMethodSymbol[] forwards = kernel.GetMembers("Forward").OfType<IMethodSymbol>().ToArray();

        Assert.Equal(Expected(globalTokens), forwards.Select(Signature).Order(StringComparer.Ordinal));
        foreach (IMethodSymbol forward in forwards)
        {
            Assert.True(forward.IsStatic, Signature(forward));
            Assert.True(forward.ReturnsVoid, Signature(forward));
            Assert.Equal(Accessibility.Public, forward.DeclaredAccessibility);
            Assert.All(forward.DeclaringSyntaxReferences, r => Assert.EndsWith(".g.cs", r.SyntaxTree.FilePath, StringComparison.Ordinal));
        }

        Assert.NotNull(CompilationTests.GeneratedKernelOf(run, metadataName));
    }

    /// <summary>"Forward(type name, ...)" with namespace-qualified types, so a look-alike type in the user's code cannot pass for the real one.</summary>
    public static string Signature(IMethodSymbol method)
        => $"{method.Name}({string.Join(", ", method.Parameters.Select(p => $"{p.Type.ToDisplayString(TypeFormat)} {p.Name}"))})";

    private static readonly SymbolDisplayFormat TypeFormat = new(
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);
}
