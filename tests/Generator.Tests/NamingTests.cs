using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>
/// Generated code holds up against the names around it: types the user declares next to the kernel (named like
/// the framework and runtime types the kernel uses), C# keywords as namespace and class names, and members of the
/// user's own class. The kernel adds one reserved name, AttentionGeneratedKernel, to the user's class.
/// </summary>
public sealed class NamingTests
{
    [Fact]
    public void UserTypesNamedLikeTheTypesTheKernelUsesDoNotBreakIt()
    {
        const string Source = """
            namespace App;

            internal static class Math { }
            internal static class MathF { }
            internal static class Unsafe { }
            internal static class MemoryMarshal { }
            internal static class Packing { }
            internal static class TileBounds { }
            internal static class OnlineSoftmax { }
            internal static class KernelLauncher { }
            internal static class ForwardArguments { }
            internal static class Vector512 { }
            internal static class Vector256 { }
            internal static class Vector128 { }
            internal sealed class Span<T> { }
            internal sealed class ReadOnlySpan<T> { }
            internal sealed class Vector512<T> { }
            internal sealed class Vector256<T> { }
            internal sealed class Vector128<T> { }
            internal sealed class Vector<T> { }
            internal static class System { }
            internal static class Attention { }
            internal static class Kernels { }

            /// <summary>Kernel among look-alike names.</summary>
            [global::Attention.Attention(HeadDim = 100, Heads = 8, KvGroups = 2, Causal = true, Window = 64)]
            public static partial class Kernel { }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(new[] { "App.Kernel.Attention.g.cs" }, run.GeneratedSources.Keys);
        Assert.True(run.OutputWarningsAndErrors.IsEmpty, GeneratorHarness.Describe(run.OutputWarningsAndErrors));
    }

    /// <summary>Where a look-alike type can sit so that simple-name lookup from the generated code would find it first.</summary>
    /// <summary>Each placement with a plain kernel and with pattern kernels (Longformer, BigBird), whose code uses more names.</summary>
    public static TheoryData<string, string> ShadowPlacements { get; } = new()
    {
        { "namespace", PlainArguments },
        { "containing type", PlainArguments },
        { "kernel class", PlainArguments },
        { "namespace", "HeadDim = 64, Heads = 8, KvGroups = 2, Causal = true, GlobalTokens = true, WindowLeft = 16" },
        { "kernel class", "HeadDim = 64, Heads = 8, KvGroups = 2, Causal = true, GlobalTokens = true, WindowLeft = 16" },
        { "containing type", "HeadDim = 36, Heads = 6, BlockSize = 16, RandomBlocks = 2, Seed = 5" },
        { "kernel class", "HeadDim = 36, Heads = 6, BlockSize = 16, RandomBlocks = 2, Seed = 5" },
    };

    private const string PlainArguments = "HeadDim = 100, Heads = 8, KvGroups = 2, Causal = true, Window = 64";

    [Theory]
    [MemberData(nameof(ShadowPlacements))]
    public void EveryTypeAndNamespaceNameTheGeneratedCodeUsesCanBeShadowed(string placement, string arguments)
    {
        // Every type and namespace name the generated code mentions, found by binding it, gets a look-alike in the
        // scope the kernel is declared in: a name the emitter writes without global:: would bind to the look-alike.
        // nint and nuint are left to their own test below: they are contextual keywords that a type of that name
        // in scope takes over, and the lowercase names draw CS8981 themselves.
        IReadOnlyList<(string Name, int Arity)> names = ExternalNamesUsedByGeneratedCode(arguments)
            .Where(n => n.Name is not ("nint" or "nuint"))
            .ToArray();
        Assert.Contains(("Vector512", 1), names);
        Assert.Contains(("KernelLauncher", 0), names);
        Assert.Contains(("System", 0), names);
        Assert.Contains(("Unsafe", 0), names);

        string shadows = string.Join("\n", names.Select(n => n.Arity == 0
            ? $"internal static class {n.Name} {{ }}"
            : $"internal sealed class {n.Name}<{string.Join(", ", Enumerable.Range(1, n.Arity).Select(i => $"T{i}"))}> {{ }}"));
        string attribute = $"[global::Attention.Attention({arguments})]";
        string source = placement switch
        {
            "namespace" => $$"""
                namespace App;

                {{shadows}}

                /// <summary>Outer.</summary>
                public static partial class Outer
                {
                    /// <summary>Kernel.</summary>
                    {{attribute}}
                    public static partial class Kernel { }
                }
                """,
            "containing type" => $$"""
                namespace App;

                /// <summary>Outer.</summary>
                public static partial class Outer
                {
                    {{shadows}}

                    /// <summary>Kernel.</summary>
                    {{attribute}}
                    public static partial class Kernel { }
                }
                """,
            _ => $$"""
                namespace App;

                /// <summary>Outer.</summary>
                public static partial class Outer
                {
                    /// <summary>Kernel.</summary>
                    {{attribute}}
                    public static partial class Kernel
                    {
                        {{shadows}}
                    }
                }
                """,
        };
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(new[] { "App.Outer.Kernel.Attention.g.cs" }, run.GeneratedSources.Keys);
        Assert.True(
            run.OutputWarningsAndErrors.IsEmpty,
            $"Shadowed: {string.Join(", ", names)}\n{GeneratorHarness.Describe(run.OutputWarningsAndErrors)}");
    }

    [Fact]
    public void UserTypesNamedNintAndNuintDoNotBreakIt()
    {
        const string Source = """
            namespace App;

            #pragma warning disable CS8981 // lowercase type names
            internal static class nint { }
            internal static class nuint { }
            #pragma warning restore CS8981

            /// <summary>Kernel beside types named like the native integer keywords.</summary>
            [global::Attention.Attention(HeadDim = 100, Heads = 8, KvGroups = 2, Causal = true, Window = 64)]
            public static partial class Kernel { }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputWarningsAndErrors.IsEmpty, GeneratorHarness.Describe(run.OutputWarningsAndErrors));
    }

    [Theory]
    [InlineData("namespace @class;", "public static partial class @event { }", "class.event", "class.event.Attention.g.cs")]
    [InlineData("namespace App.@namespace.@struct;", "public static partial class @int { }", "App.namespace.struct.int", "App.namespace.struct.int.Attention.g.cs")]
    [InlineData("namespace @class { }", "public static partial class @static { }", "static", "static.Attention.g.cs")]
    [InlineData("namespace App;", "public static partial class @this { }", "App.this", "App.this.Attention.g.cs")]
    [InlineData("namespace App;", "public static partial class @Kernel { }", "App.Kernel", "App.Kernel.Attention.g.cs")]
    [InlineData("namespace App;", "public static partial class var { }", "App.var", "App.var.Attention.g.cs")]
    [InlineData("namespace App;", "public static partial class async { }", "App.async", "App.async.Attention.g.cs")]
    [InlineData("namespace App;", "public static partial class partial { }", "App.partial", "App.partial.Attention.g.cs")]
    [InlineData("namespace record.@unsafe;", "public static partial class nameof { }", "record.unsafe.nameof", "record.unsafe.nameof.Attention.g.cs")]
    public void KeywordNamesGenerateACompilingKernel(string namespaceDeclaration, string classDeclaration, string metadataName, string hintName)
    {
        // Block namespace in the third case: the kernel sits in the global namespace beside it.
        string source = $$"""
            {{namespaceDeclaration}}

            /// <summary>Kernel with a keyword name.</summary>
            [global::Attention.Attention(HeadDim = 64, Heads = 8)]
            {{classDeclaration}}
            """;
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(new[] { hintName }, run.GeneratedSources.Keys);
        AssertNoWarningsButLowercaseNames(run);
        AssertForward(run, metadataName);
    }

    [Fact]
    public void KeywordNamedContainingTypesGenerateACompilingKernel()
    {
        const string Source = """
            namespace @checked;

            /// <summary>Outer.</summary>
            public static partial class @static
            {
                /// <summary>Middle.</summary>
                public partial struct @struct
                {
                    /// <summary>Inner.</summary>
                    public partial record @record
                    {
                        /// <summary>Kernel.</summary>
                        [global::Attention.Attention(HeadDim = 64, Heads = 8)]
                        public static partial class @event { }
                    }
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(new[] { "checked.static.struct.record.event.Attention.g.cs" }, run.GeneratedSources.Keys);
        Assert.DoesNotContain("@", run.GeneratedSources.Keys.Single(), StringComparison.Ordinal);
        AssertNoWarningsButLowercaseNames(run);
        AssertForward(run, "checked.static+struct+record+event");
    }

    [Fact]
    public void MembersOfTheUserClassNamedLikeGeneratedOnesDoNotClash()
    {
        // GeneratedKernel was the nested class's old name; the constants and tier classes now live inside
        // AttentionGeneratedKernel, so the user's class may use all of these names itself.
        const string Source = """
            namespace App;

            /// <summary>Kernel with members of its own.</summary>
            [global::Attention.Attention(HeadDim = 64, Heads = 8, KvGroups = 2, Causal = true)]
            public static partial class Kernel
            {
                private static class GeneratedKernel { public const int HeadDim = -1; }
                private static class Vector512Tier { }
                private static class ScalarTier { }
                private const int HeadDim = -1;
                private const int Heads = -1;
                private const int KvGroups = -1;
                private const int HeadsPerGroup = -1;
                private const bool Causal = false;
                private const int Window = -1;
                private const float QueryScale = -1f;
                private static int TileRows => -1;

                /// <summary>An overload beside the generated Forward.</summary>
                public static void Forward() => GeneratedKernelUse();

                private static void GeneratedKernelUse() => _ = GeneratedKernel.HeadDim + HeadDim + Heads + KvGroups + HeadsPerGroup + Window
                    + (Causal ? 1 : 0) + (int)QueryScale + TileRows + typeof(Vector512Tier).Name.Length + typeof(ScalarTier).Name.Length;
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputWarningsAndErrors.IsEmpty, GeneratorHarness.Describe(run.OutputWarningsAndErrors));

        // The generated constants are the attribute's, not the user's look-alikes.
        INamedTypeSymbol constants = CompilationTests.GeneratedKernelOf(run, "App.Kernel");
        Assert.Equal(64, Assert.Single(constants.GetMembers("HeadDim").OfType<IFieldSymbol>()).ConstantValue);
        Assert.Equal(2, Assert.Single(constants.GetMembers("KvGroups").OfType<IFieldSymbol>()).ConstantValue);
    }

    [Fact]
    public void AttentionGeneratedKernelIsTheOneReservedName()
    {
        const string Source = """
            namespace App;

            /// <summary>Kernel that takes the reserved name.</summary>
            [global::Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel
            {
                private static class AttentionGeneratedKernel { }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains(
            run.OutputDiagnostics,
            d => d.Id == "CS0102" && d.GetMessage(global::System.Globalization.CultureInfo.InvariantCulture).Contains("AttentionGeneratedKernel", StringComparison.Ordinal));
    }

    /// <summary>
    /// The simple names in a generated file that bind to a type or namespace declared outside the compilation
    /// (framework and runtime), with their arity; attribute types under both their written and full names.
    /// </summary>
    private static IReadOnlyList<(string Name, int Arity)> ExternalNamesUsedByGeneratedCode(string arguments)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            namespace App;

            /// <summary>Kernel under test.</summary>
            [global::Attention.Attention({{arguments}})]
            public static partial class Kernel { }
            """);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, GeneratorHarness.Describe(run.GeneratorDiagnostics));
        Compilation compilation = run.OutputCompilation;
        var names = new HashSet<(string Name, int Arity)>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)))
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (SimpleNameSyntax name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>())
            {
                ISymbol? symbol = model.GetSymbolInfo(name).Symbol;
                if (symbol is INamedTypeSymbol type && !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, compilation.Assembly))
                {
                    names.Add((name.Identifier.ValueText, type.Arity));
                    names.Add((type.Name, type.Arity));
                }
                else if (symbol is INamespaceSymbol { IsGlobalNamespace: false })
                {
                    names.Add((name.Identifier.ValueText, 0));
                }
            }
        }

        return names.OrderBy(n => n.Name, StringComparer.Ordinal).ThenBy(n => n.Arity).ToArray();
    }

    /// <summary>
    /// Lowercase type names are legal but draw CS8981 (the name may become a keyword), and a type named record
    /// draws CS8860, on every declaration, the user's and the generated partial alike; nothing else may be reported.
    /// </summary>
    private static void AssertNoWarningsButLowercaseNames(GeneratorRun run)
    {
        Diagnostic[] unexpected = run.OutputWarningsAndErrors.Where(d => d.Id is not ("CS8981" or "CS8860")).ToArray();
        Assert.True(unexpected.Length == 0, GeneratorHarness.Describe(unexpected));
    }

    /// <summary>The class has exactly the generated Forward overloads (public, static) and its AttentionGeneratedKernel.</summary>
    private static void AssertForward(GeneratorRun run, string metadataName) => ForwardOverloads.AssertExactly(run, metadataName);
}
