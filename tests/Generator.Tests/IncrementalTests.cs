using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Attention.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>
/// The pipeline's caching, after dotnet/runtime's JsonSourceGeneratorIncrementalTests: edits that cannot change
/// a kernel leave the <see cref="TrackingNames.Spec"/> and <see cref="TrackingNames.Model"/> steps Cached or
/// Unchanged, a real change shows as Modified, and the model holds no Roslyn object that would pin a compilation.
/// </summary>
public sealed class IncrementalTests
{
    // Nested, so the spec's ContainingTypes array is not empty and its element-wise equality is exercised.
    private const string KernelFile = """
        namespace App;

        /// <summary>Models.</summary>
        public static partial class Models
        {
            /// <summary>Kernel under test.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8, KvGroups = 2, Causal = true)]
            public static partial class Kernel
            {
                /// <summary>A user member next to the generated ones.</summary>
                public static int Version => 1;
            }
        }

        // Trailing comment.
        """;

    private const string OtherFile = """
        namespace App;

        /// <summary>Unrelated code.</summary>
        public static class Helpers
        {
            /// <summary>Unrelated member.</summary>
            public static int Twice(int x) => 2 * x;
        }
        """;

    [Fact]
    public void AddingAnUnrelatedFileKeepsEveryStepCached()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();

        compilation = compilation.AddSyntaxTrees(GeneratorHarness.Parse("namespace App; internal static class Extra { }", "Extra.cs"));
        GeneratorRunResult result = Rerun(driver, compilation);

        AssertAllCachedOrUnchanged(result, TrackingNames.Spec);
        AssertAllCachedOrUnchanged(result, TrackingNames.Model);
        AssertOutputsCachedOrUnchanged(result);
    }

    [Fact]
    public void EditingAnUnrelatedFileKeepsEveryStepCached()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();

        compilation = ReplaceFile(compilation, "Input1.cs", OtherFile.Replace("2 * x", "x + x", StringComparison.Ordinal));
        GeneratorRunResult result = Rerun(driver, compilation);

        AssertAllCachedOrUnchanged(result, TrackingNames.Spec);
        AssertAllCachedOrUnchanged(result, TrackingNames.Model);
        AssertOutputsCachedOrUnchanged(result);
    }

    [Theory]
    [InlineData("// Trailing comment.", "// Trailing comment, edited.\n\n   \n")]
    [InlineData("/// <summary>Kernel under test.</summary>", "// A new line above the class.\n/// <summary>Kernel under test.</summary>")]
    [InlineData("public static int Version => 1;", "public static int Version => 1;\n\n    /// <summary>Added member.</summary>\n    public static int Build => 2;")]
    public void EditingTheKernelFileWithoutTouchingTheAttributeKeepsTheModelCached(string find, string replacement)
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        string original = Output(driver);

        compilation = ReplaceFile(compilation, "Input0.cs", Edit(KernelFile, find, replacement));
        GeneratorRunResult result = Rerun(driver, compilation);

        // The file changed, so the parse step runs again; its result must compare equal to the last one.
        AssertAllCachedOrUnchanged(result, TrackingNames.Spec);
        AssertAllCachedOrUnchanged(result, TrackingNames.Model);
        AssertOutputsCachedOrUnchanged(result);
        Assert.Equal(original, result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void ChangingHeadDimModifiesTheModelAndTheSource()
    {
        (GeneratorDriver driver, CSharpCompilation compilation) = FirstRun();
        string original = Output(driver);

        compilation = ReplaceFile(compilation, "Input0.cs", Edit(KernelFile, "HeadDim = 64", "HeadDim = 128"));
        GeneratorRunResult result = Rerun(driver, compilation);

        Assert.Equal(IncrementalStepRunReason.Modified, SingleOutput(result, TrackingNames.Spec).Reason);
        Assert.Equal(IncrementalStepRunReason.Modified, SingleOutput(result, TrackingNames.Model).Reason);
        Assert.Equal(128, ((KernelSpec)SingleOutput(result, TrackingNames.Model).Value).HeadDim);
        string updated = result.GeneratedSources.Single().SourceText.ToString();
        Assert.NotEqual(original, updated);
        Assert.Contains("public const int HeadDim = 128;", updated, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangingOneKernelLeavesTheOtherCached()
    {
        const string SecondKernel = """
            namespace App;

            /// <summary>Second kernel.</summary>
            [Attention.Attention(HeadDim = 32, Heads = 4)]
            public static partial class Second { }
            """;
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(KernelFile, SecondKernel);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        compilation = ReplaceFile(compilation, "Input1.cs", Edit(SecondKernel, "Heads = 4", "Heads = 4, Window = 8"));
        GeneratorRunResult result = Rerun(driver, compilation);

        var models = result.TrackedSteps[TrackingNames.Model]
            .SelectMany(step => step.Outputs)
            .ToDictionary(output => ((KernelSpec)output.Value).ClassName, output => output.Reason);
        Assert.Equal(IncrementalStepRunReason.Modified, models["Second"]);
        Assert.Contains(models["Kernel"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
    }

    [Fact]
    public void AMovedDiagnosticIsReportedAtItsNewLineWithoutEmittingSource()
    {
        const string Faulty = """
            namespace App;

            [Attention.Attention(HeadDim = 64, Heads = 0)]
            public static partial class Faulty { }
            """;
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Faulty);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        int firstLine = Assert.Single(driver.GetRunResult().Diagnostics).Location.GetLineSpan().StartLinePosition.Line;

        compilation = ReplaceFile(compilation, "Input0.cs", Edit(Faulty, "namespace App;", "namespace App;\n\n// Moved down two lines."));
        driver = driver.RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Diagnostic moved = Assert.Single(result.Diagnostics);
        Assert.Equal("ATTN0004", moved.Id);
        Assert.Equal(firstLine + 2, moved.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(IncrementalStepRunReason.Modified, SingleOutput(result, TrackingNames.Diagnostics).Reason);
        Assert.Empty(result.TrackedSteps.GetValueOrDefault(TrackingNames.Model, ImmutableArray<IncrementalGeneratorRunStep>.Empty).SelectMany(step => step.Outputs));
        Assert.Empty(result.GeneratedSources);
    }

    [Theory]
    [InlineData(KernelFile)]
    [InlineData("""
        namespace App;

        public partial class Outer
        {
            [Attention.Attention(HeadDim = 64, Heads = 0, Scale = float.NaN)]
            public class Kernel { }
        }
        """)]
    public void ParseResultHoldsNoRoslynObjects(string source)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.CreateCompilation(source));
        var parsed = (ParseResult)SingleOutput(driver.GetRunResult().Results.Single(), TrackingNames.Spec).Value;

        Assert.Empty(RoslynObjectsReachableFrom(parsed));
    }

    [Fact]
    public void KernelSpecHoldsNoRoslynObjects()
    {
        const string Nested = """
            namespace App;

            /// <summary>Outer.</summary>
            public partial record struct Outer
            {
                /// <summary>Kernel.</summary>
                [Attention.Attention(HeadDim = 64, Heads = 8)]
                public static partial class Kernel { }
            }
            """;
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.CreateCompilation(Nested));
        var spec = (KernelSpec)SingleOutput(driver.GetRunResult().Results.Single(), TrackingNames.Model).Value;

        Assert.Single(spec.ContainingTypes);
        Assert.Empty(RoslynObjectsReachableFrom(spec));
    }

    [Fact]
    public void TheReflectionWalkFindsRoslynObjects()
    {
        // The walk above must be able to fail: a Location inside a DiagnosticInfo-like graph and a SyntaxTree
        // inside an array are both found.
        SyntaxTree tree = GeneratorHarness.Parse("class C { }", "C.cs");
        var graph = new object[] { "text", new[] { tree }, Tuple.Create(1, tree.GetRoot().GetLocation()) };

        Assert.Equal(2, RoslynObjectsReachableFrom(graph).Count);
    }

    [Fact]
    public void EqualSourcesParseToEqualSpecs()
    {
        // Two separate compilations (different trees, file names and unrelated code): equal attributes must give
        // equal values, or the model step could never be cached across edits.
        KernelSpec first = ParseSingle(GeneratorHarness.CreateCompilation(KernelFile));
        KernelSpec second = ParseSingle(GeneratorHarness.CreateCompilation(OtherFile, "\n\n" + KernelFile));

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void EqualFaultySourcesParseToEqualResults()
    {
        const string Faulty = """
            namespace App;

            [Attention.Attention(HeadDim = 600, Heads = 8, KvGroups = 3)]
            public static partial class Kernel { }
            """;
        ParseResult first = ParseResultOf(GeneratorHarness.CreateCompilation(Faulty));
        ParseResult second = ParseResultOf(GeneratorHarness.CreateCompilation(Faulty));

        Assert.Null(first.Spec);
        Assert.Equal(2, first.Diagnostics.Count);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Theory]
    [InlineData("HeadDim = 64", "HeadDim = 65")]
    [InlineData("Heads = 8, KvGroups = 2", "Heads = 8, KvGroups = 4")]
    [InlineData("Causal = true", "Causal = false")]
    [InlineData("Causal = true", "Causal = true, Window = 3")]
    [InlineData("Causal = true", "Causal = true, Scale = 0.5f")]
    [InlineData("namespace App;", "namespace App2;")]
    [InlineData("class Kernel", "class Kernel2")]
    [InlineData("class Models", "class Models2")]
    public void DifferentSourcesParseToDifferentSpecs(string find, string replacement)
    {
        KernelSpec original = ParseSingle(GeneratorHarness.CreateCompilation(KernelFile));
        KernelSpec changed = ParseSingle(GeneratorHarness.CreateCompilation(Edit(KernelFile, find, replacement)));

        Assert.NotEqual(original, changed);
    }

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(KernelFile, OtherFile);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().GeneratedTrees);
        return (driver, compilation);
    }

    private static GeneratorRunResult Rerun(GeneratorDriver driver, Compilation compilation)
        => driver.RunGenerators(compilation).GetRunResult().Results.Single();

    private static string Output(GeneratorDriver driver)
        => driver.GetRunResult().Results.Single().GeneratedSources.Single().SourceText.ToString();

    private static CSharpCompilation ReplaceFile(CSharpCompilation compilation, string path, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(tree => tree.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, old.WithChangedText(SourceText.From(text)));
    }

    /// <summary>Replaces the one occurrence of <paramref name="find"/>, failing if there is none.</summary>
    private static string Edit(string text, string find, string replacement)
    {
        Assert.Contains(find, text, StringComparison.Ordinal);
        return text.Replace(find, replacement, StringComparison.Ordinal);
    }

    private static ParseResult ParseResultOf(Compilation compilation)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        return (ParseResult)SingleOutput(driver.GetRunResult().Results.Single(), TrackingNames.Spec).Value;
    }

    private static KernelSpec ParseSingle(Compilation compilation)
        => ParseResultOf(compilation).Spec ?? throw new InvalidOperationException("The source did not parse to a spec.");

    private static (object Value, IncrementalStepRunReason Reason) SingleOutput(GeneratorRunResult result, string stepName)
        => Assert.Single(result.TrackedSteps[stepName].SelectMany(step => step.Outputs));

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, string stepName)
    {
        (object Value, IncrementalStepRunReason Reason)[] outputs = result.TrackedSteps[stepName].SelectMany(step => step.Outputs).ToArray();
        Assert.NotEmpty(outputs);
        foreach ((object _, IncrementalStepRunReason reason) in outputs)
        {
            Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{stepName} output was {reason}");
        }
    }

    private static void AssertOutputsCachedOrUnchanged(GeneratorRunResult result)
    {
        Assert.NotEmpty(result.TrackedOutputSteps);
        foreach ((string name, var steps) in result.TrackedOutputSteps)
        {
            foreach ((object _, IncrementalStepRunReason reason) in steps.SelectMany(step => step.Outputs))
            {
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name} output was {reason}");
            }
        }
    }

    /// <summary>Types whose instances keep a compilation (or its trees) alive, or are tied to one.</summary>
    private static readonly Type[] RoslynTypes =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Location),
    };

    /// <summary>
    /// Walks every instance field (public or not, including backing fields of properties and the items of
    /// EquatableArray and ImmutableArray), every array element and every element of other collections, and returns
    /// a description of each Roslyn object found.
    /// </summary>
    private static List<string> RoslynObjectsReachableFrom(object root)
    {
        var found = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, string Path)>();
        pending.Push((root, root.GetType().Name));
        while (pending.Count > 0)
        {
            (object value, string path) = pending.Pop();
            Type type = value.GetType();
            // Leaves, and reflection objects whose graphs are the runtime's, not the model's.
            if (type.IsPrimitive || type.IsEnum || value is string or Pointer or MemberInfo or Delegate or Assembly or Module
                || (!type.IsValueType && !visited.Add(value)))
            {
                continue;
            }

            if (RoslynTypes.Any(roslynType => roslynType.IsInstanceOfType(value)))
            {
                found.Add($"{path}: {type.FullName}");
                continue;
            }

            if (value is IEnumerable items && type.Assembly == typeof(AttentionGenerator).Assembly)
            {
                // EquatableArray<T>: enumerate as the model's users see it, in addition to its fields below.
                int i = 0;
                foreach (object? item in items)
                {
                    if (item is not null)
                    {
                        pending.Push((item, $"{path}[{i}]"));
                    }

                    i++;
                }
            }

            if (value is Array array)
            {
                for (int i = 0; i < array.Length; i++)
                {
                    if (array.GetValue(i) is { } element)
                    {
                        pending.Push((element, $"{path}[{i}]"));
                    }
                }

                continue;
            }

            for (Type? t = type; t is not null; t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    // A field typed as a Roslyn object is a finding even while it holds null.
                    if (RoslynTypes.Any(roslynType => roslynType.IsAssignableFrom(field.FieldType)))
                    {
                        found.Add($"{path}.{field.Name}: field of type {field.FieldType.FullName}");
                    }
                    else if (field.GetValue(value) is { } fieldValue)
                    {
                        pending.Push((fieldValue, $"{path}.{field.Name}"));
                    }
                }
            }
        }

        return found;
    }
}
