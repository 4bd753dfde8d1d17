using System.Globalization;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>
/// One test per ATTN id: a minimal faulty class, the exact diagnostic (id, severity, message, location) and no
/// generated source for it. Messages are compared in full, so a message that stops naming the class, the
/// property or the expected value fails here.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void ATTN0001_HeadDimMissing()
    {
        const string Attribute = "Attention.Attention(Heads = 8)";
        Diagnostic diagnostic = AssertSingleError(StaticPartial(Attribute), "ATTN0001");

        Assert.Equal("[Attention] on 'Kernel' must set HeadDim (features per head, 1 to 512)", Message(diagnostic));
        AssertLocation(diagnostic, StaticPartial(Attribute), Attribute);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(513)]
    public void ATTN0002_HeadDimOutOfRange(int headDim)
    {
        string attribute = $"Attention.Attention(HeadDim = {headDim}, Heads = 8)";
        Diagnostic diagnostic = AssertSingleError(StaticPartial(attribute), "ATTN0002");

        Assert.Equal($"[Attention] on 'Kernel' has HeadDim = {headDim}; expected a value from 1 to 512", Message(diagnostic));
        AssertLocation(diagnostic, StaticPartial(attribute), attribute);
    }

    [Fact]
    public void ATTN0003_HeadsMissing()
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial("Attention.Attention(HeadDim = 64)"), "ATTN0003");

        Assert.Equal("[Attention] on 'Kernel' must set Heads (number of query heads, at least 1)", Message(diagnostic));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ATTN0004_HeadsNotPositive(int heads)
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial($"Attention.Attention(HeadDim = 64, Heads = {heads})"), "ATTN0004");

        Assert.Equal($"[Attention] on 'Kernel' has Heads = {heads}; expected at least 1", Message(diagnostic));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ATTN0005_KvGroupsNotPositive(int kvGroups)
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial($"Attention.Attention(HeadDim = 64, Heads = 8, KvGroups = {kvGroups})"), "ATTN0005");

        Assert.Equal(
            $"[Attention] on 'Kernel' has KvGroups = {kvGroups}; expected at least 1 (or leave it unset for KvGroups = Heads)",
            Message(diagnostic));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    public void ATTN0006_KvGroupsDoNotDivideHeads(int kvGroups)
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial($"Attention.Attention(HeadDim = 64, Heads = 8, KvGroups = {kvGroups})"), "ATTN0006");

        Assert.Equal(
            $"[Attention] on 'Kernel' has KvGroups = {kvGroups}, which does not divide Heads = 8; each key/value head must serve the same number of query heads",
            Message(diagnostic));
    }

    [Fact]
    public void ATTN0007_WindowNegative()
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial("Attention.Attention(HeadDim = 64, Heads = 8, Causal = true, Window = -1)"), "ATTN0007");

        Assert.Equal("[Attention] on 'Kernel' has Window = -1; expected 0 (no window) or a positive window size", Message(diagnostic));
    }

    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("-0.5f", "-0.5")]
    [InlineData("float.NaN", "NaN")]
    [InlineData("float.PositiveInfinity", "Infinity")]
    [InlineData("float.NegativeInfinity", "-Infinity")]
    [InlineData("float.MaxValue", "3.4028235E+38")] // finite, but Scale * log2(e) overflows to infinity
    [InlineData("3e38f", "3E+38")]
    [InlineData("2.4e38f", "2.4E+38")] // just above float.MaxValue / log2(e) = 2.3587e38
    public void ATTN0008_ScaleInvalid(string scale, string shownAs)
    {
        Diagnostic diagnostic = AssertSingleError(StaticPartial($"Attention.Attention(HeadDim = 64, Heads = 8, Scale = {scale})"), "ATTN0008");

        Assert.Equal(
            $"[Attention] on 'Kernel' has Scale = {shownAs}; expected a finite value > 0, or 0 for 1/sqrt(HeadDim)",
            Message(diagnostic));
    }

    [Fact]
    public void ATTN0009_ClassNotPartial()
    {
        const string Source = """
            namespace App;

            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static class Kernel { }
            """;
        Diagnostic diagnostic = AssertSingleError(Source, "ATTN0009");

        Assert.Equal(
            "Class 'Kernel' has [Attention] but is not partial; declare it 'static partial class Kernel' so the generated kernel can be added to it",
            Message(diagnostic));
        AssertLocation(diagnostic, Source, "Kernel");
    }

    [Fact]
    public void ATTN0010_ClassNotStatic()
    {
        const string Source = """
            namespace App;

            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public partial class Kernel { }
            """;
        Diagnostic diagnostic = AssertSingleError(Source, "ATTN0010");

        Assert.Equal(
            "Class 'Kernel' has [Attention] but is not static; declare it 'static partial class Kernel' (the kernel holds no state)",
            Message(diagnostic));
        AssertLocation(diagnostic, Source, "Kernel");
    }

    [Theory]
    [InlineData("public partial record Kernel { }")]
    [InlineData("public partial record Kernel;")]
    [InlineData("public sealed partial record Kernel(int X);")]
    [InlineData("public abstract partial record class Kernel { }")]
    public void ATTN0010_RecordIsNotStatic(string declaration)
    {
        // A record cannot be static, so an [Attention] record is reported rather than skipped without a word.
        string source = $$"""
            namespace App;

            [Attention.Attention(HeadDim = 64, Heads = 8)]
            {{declaration}}
            """;
        Diagnostic diagnostic = AssertSingleError(source, "ATTN0010");

        Assert.Equal(
            "Class 'Kernel' has [Attention] but is not static; declare it 'static partial class Kernel' (the kernel holds no state)",
            Message(diagnostic));
        AssertLocation(diagnostic, source, "Kernel");
    }

    [Fact]
    public void ATTN0009AndATTN0010_RecordNotPartial()
    {
        const string Source = """
            namespace App;

            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public record Kernel;
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Equal(new[] { "ATTN0009", "ATTN0010" }, run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    [Theory]
    [InlineData("""
        namespace App;

        [Attention.Attention(HeadDim = 64, Heads = 8)]
        public static partial class Kernel<T> { }
        """)]
    [InlineData("""
        namespace App;

        public partial class Outer<T>
        {
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """)]
    [InlineData("""
        namespace App;

        public static partial class Outer<T>
        {
            public static partial class Middle
            {
                [Attention.Attention(HeadDim = 64, Heads = 8)]
                public static partial class Kernel { }
            }
        }
        """)]
    public void ATTN0011_ClassGeneric(string source)
    {
        Diagnostic diagnostic = AssertSingleError(source, "ATTN0011");

        Assert.Equal(
            "Class 'Kernel' has [Attention] but it or a type containing it is generic; a kernel is specialized to one configuration, so declare it in a non-generic class",
            Message(diagnostic));
    }

    [Theory]
    [InlineData("""
        namespace App;

        public class Outer
        {
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "Outer")]
    [InlineData("""
        namespace App;

        public partial class Outer
        {
            public struct Middle
            {
                [Attention.Attention(HeadDim = 64, Heads = 8)]
                public static partial class Kernel { }
            }
        }
        """, "Middle")]
    public void ATTN0012_ContainingTypeNotPartial(string source, string containingType)
    {
        Diagnostic diagnostic = AssertSingleError(source, "ATTN0012");

        Assert.Equal(
            $"Class 'Kernel' has [Attention] and is nested in '{containingType}', which is not partial; mark every containing type partial",
            Message(diagnostic));
    }

    private const string SymmetricWindow = "Window is the symmetric form; use WindowLeft and WindowRight alone for an asymmetric window";
    private const string OneSparsePattern = "a kernel has at most one sparse pattern (Longformer, BigBird, strided or fixed)";

    [Theory]
    [InlineData("Window = 4, WindowLeft = 3", "Window", "WindowLeft", SymmetricWindow)]
    [InlineData("Window = 4, WindowLeft = 0", "Window", "WindowLeft", SymmetricWindow)]
    [InlineData("Window = 4, WindowRight = 1", "Window", "WindowRight", SymmetricWindow)]
    [InlineData("Causal = true, WindowRight = 1", "Causal", "WindowRight", "Causal already hides every key to the right")]
    [InlineData("Causal = true, WindowRight = 0", "Causal", "WindowRight", "Causal already hides every key to the right")]
    [InlineData("BlockSize = 16, Stride = 8", "BlockSize", "Stride", OneSparsePattern)]
    [InlineData("Stride = 8, FixedBlock = 16", "Stride", "FixedBlock", OneSparsePattern)]
    [InlineData("BlockSize = 16, FixedBlock = 16", "BlockSize", "FixedBlock", OneSparsePattern)]
    [InlineData("Causal = true, Stride = 8, Window = 4", "Stride", "Window", "Stride defines its own local part")]
    [InlineData("Stride = 8, WindowLeft = 2", "Stride", "WindowLeft", "Stride defines its own local part")]
    [InlineData("BlockSize = 16, Chunk = 64", "BlockSize", "Chunk", "BlockSize defines its own local part")]
    [InlineData("FixedBlock = 16, WindowRight = 3", "FixedBlock", "WindowRight", "FixedBlock defines its own local part")]
    public void ATTN0013_PatternConflict(string pattern, string first, string second, string why)
    {
        string attribute = $"Attention.Attention(HeadDim = 64, Heads = 8, {pattern})";
        Diagnostic diagnostic = AssertSingleError(StaticPartial(attribute), "ATTN0013");

        Assert.Equal($"[Attention] on 'Kernel' sets {first} and {second}, which cannot be combined: {why}", Message(diagnostic));
        AssertLocation(diagnostic, StaticPartial(attribute), attribute);
    }

    [Theory]
    [InlineData("Window = 4")]
    [InlineData("Chunk = 32")]
    [InlineData(null)]
    public void ATTN0013_GlobalTokensWithAnotherSparsePattern(string? local)
    {
        // Two sparse patterns are one fault with one fix (drop one of them): the rules that assume a single pattern
        // (GlobalTokens needs a local part, BlockSize forbids one) stay quiet, with or without a window.
        string attribute = $"Attention.Attention(HeadDim = 64, Heads = 8, GlobalTokens = true, BlockSize = 16{(local is null ? string.Empty : ", " + local)})";
        GeneratorRun run = GeneratorHarness.Run(StaticPartial(attribute));

        string[] messages = run.GeneratorDiagnostics.Select(d => $"{d.Id}: {Message(d)}").Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            $"ATTN0013: [Attention] on 'Kernel' sets GlobalTokens and BlockSize, which cannot be combined: {OneSparsePattern}",
        ];
        Assert.Equal(expected, messages);
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Empty(run.GeneratedSources);
    }

    [Theory]
    [InlineData("WindowLeft = -2", "WindowLeft", "-2", "-1 (unbounded) or more")]
    [InlineData("WindowLeft = int.MinValue", "WindowLeft", "-2147483648", "-1 (unbounded) or more")]
    [InlineData("WindowRight = -5", "WindowRight", "-5", "-1 (unbounded) or more")]
    [InlineData("Chunk = -1", "Chunk", "-1", "0 (no chunks) or more")]
    [InlineData("BlockSize = -16", "BlockSize", "-16", "0 (not BigBird) or more")]
    [InlineData("BlockSize = 16, RandomBlocks = -1", "RandomBlocks", "-1", "0 or more")]
    [InlineData("Causal = true, Stride = -8", "Stride", "-8", "0 (not strided) or more")]
    [InlineData("FixedBlock = -1", "FixedBlock", "-1", "0 (not fixed) or more")]
    [InlineData("FixedBlock = 16, FixedSummary = 17", "FixedSummary", "17", "1 to FixedBlock (16)")]
    [InlineData("FixedBlock = 16, FixedSummary = -1", "FixedSummary", "-1", "1 to FixedBlock (16)")]
    [InlineData("TopK = -1", "TopK", "-1", "0 (keep every key) to 256")]
    [InlineData("Causal = true, TopK = 257", "TopK", "257", "0 (keep every key) to 256")]
    public void ATTN0014_PatternOutOfRange(string pattern, string property, string shownAs, string expected)
    {
        string attribute = $"Attention.Attention(HeadDim = 64, Heads = 8, {pattern})";
        Diagnostic diagnostic = AssertSingleError(StaticPartial(attribute), "ATTN0014");

        Assert.Equal($"[Attention] on 'Kernel' has {property} = {shownAs}; expected {expected}", Message(diagnostic));
        AssertLocation(diagnostic, StaticPartial(attribute), attribute);
    }

    [Theory]
    [InlineData("GlobalTokens = true", "GlobalTokens", "a local part: Window, WindowLeft, WindowRight or Chunk")]
    [InlineData("Causal = true, GlobalTokens = true", "GlobalTokens", "a local part: Window, WindowLeft, WindowRight or Chunk")]
    [InlineData("RandomBlocks = 2", "RandomBlocks", "BlockSize (BigBird)")]
    [InlineData("Seed = 5", "Seed", "BlockSize (BigBird)")]
    [InlineData("Seed = -5", "Seed", "BlockSize (BigBird)")]
    [InlineData("FixedSummary = 2", "FixedSummary", "FixedBlock")]
    public void ATTN0015_PatternIncomplete(string pattern, string property, string needed)
    {
        string attribute = $"Attention.Attention(HeadDim = 64, Heads = 8, {pattern})";
        Diagnostic diagnostic = AssertSingleError(StaticPartial(attribute), "ATTN0015");

        Assert.Equal($"[Attention] on 'Kernel' sets {property}, which needs {needed}", Message(diagnostic));
        AssertLocation(diagnostic, StaticPartial(attribute), attribute);
    }

    [Fact]
    public void EachPatternFaultIsReportedOnce()
    {
        // Range, conflict and dependency checks run side by side; each fault names its own properties.
        GeneratorRun run = GeneratorHarness.Run(StaticPartial(
            "Attention.Attention(HeadDim = 64, Heads = 8, Causal = true, Window = 4, WindowRight = 2, Chunk = -1, Seed = 3)"));

        Assert.Equal(
            new[]
            {
                "ATTN0013: [Attention] on 'Kernel' sets Causal and WindowRight, which cannot be combined: Causal already hides every key to the right",
                $"ATTN0013: [Attention] on 'Kernel' sets Window and WindowRight, which cannot be combined: {SymmetricWindow}",
                "ATTN0014: [Attention] on 'Kernel' has Chunk = -1; expected 0 (no chunks) or more",
                "ATTN0015: [Attention] on 'Kernel' sets Seed, which needs BlockSize (BigBird)",
            },
            run.GeneratorDiagnostics.Select(d => $"{d.Id}: {Message(d)}").Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    /// <summary>One configuration of each pattern family and of the local parts, plus edge values the rules accept.</summary>
    public static TheoryData<string, bool> ValidPatterns { get; } = new()
    {
        { "WindowLeft = 3, WindowRight = 1", false },
        { "WindowLeft = 0, WindowRight = 0", false },
        { "WindowLeft = 5", false },
        { "WindowRight = 2", false },
        { "WindowLeft = -1, WindowRight = -1", false },
        { "Causal = true, WindowLeft = 7", false },
        { "Causal = true, WindowLeft = 0", false },
        { "Causal = true, Chunk = 32", false },
        { "Chunk = 1", false },
        { "Causal = true, Window = 8, Chunk = 32", false },
        { "WindowLeft = 4, WindowRight = 4, Chunk = 16", false },
        { "GlobalTokens = true, Window = 4", true },
        { "Causal = true, GlobalTokens = true, Window = 4", true },
        { "GlobalTokens = true, WindowLeft = 2, WindowRight = 3", true },
        { "GlobalTokens = true, Chunk = 16", true },
        { "GlobalTokens = false, Window = 4", false },
        { "BlockSize = 16, RandomBlocks = 2, Seed = 5", false },
        { "BlockSize = 16", false },
        { "Causal = true, BlockSize = 8, RandomBlocks = 1, Seed = -7", false },
        { "Causal = true, Stride = 8", false },
        { "Stride = 8", false },
        { "FixedBlock = 16, FixedSummary = 2", false },
        { "FixedBlock = 16", false },
        { "FixedBlock = 16, FixedSummary = 16", false },
        { "Causal = true, FixedBlock = 1, FixedSummary = 1", false },
        { "TopK = 1", false },
        { "Causal = true, Window = 64, TopK = 256", false },
    };

    [Theory]
    [MemberData(nameof(ValidPatterns))]
    public void ValidPatternsProduceNoDiagnosticsOfAnyKind(string pattern, bool globalTokens)
    {
        GeneratorRun run = GeneratorHarness.Run(StaticPartial($"Attention.Attention(HeadDim = 64, Heads = 8, KvGroups = 2, {pattern})"));

        Assert.True(run.GeneratorDiagnostics.IsEmpty, GeneratorHarness.Describe(run.GeneratorDiagnostics));
        Assert.Equal(new[] { "App.Kernel.Attention.g.cs" }, run.GeneratedSources.Keys);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorHarness.Describe(run.OutputDiagnostics));
        ForwardOverloads.AssertExactly(run, "App.Kernel", globalTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttributeOnTwoPartsOfOnePartialClassGeneratesOnceFromTheFirstPart(bool separateFiles)
    {
        // The compiler reports CS0579 (duplicate attribute); the generator must not add the same hint name twice
        // (which throws inside the driver) but emit one kernel, from the first attributed part.
        const string First = """
            namespace App;

            /// <summary>First part.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
            """;
        const string Second = """
            namespace App;

            [Attention.Attention(HeadDim = 32, Heads = 4)]
            public static partial class Kernel { }
            """;
        const string Unattributed = """
            namespace App;

            public static partial class Kernel { }
            """;
        GeneratorRun run = separateFiles
            ? GeneratorHarness.Run(Unattributed, First, Second)
            : GeneratorHarness.Run(Unattributed + "\n" + First.Replace("namespace App;", string.Empty) + "\n" + Second.Replace("namespace App;", string.Empty));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(new[] { "App.Kernel.Attention.g.cs" }, run.GeneratedSources.Keys);
        Diagnostic duplicate = Assert.Single(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS0579", duplicate.Id);
        INamedTypeSymbol constants = CompilationTests.GeneratedKernelOf(run, "App.Kernel");
        Assert.Equal(64, Assert.Single(constants.GetMembers("HeadDim").OfType<IFieldSymbol>()).ConstantValue);
        Assert.Equal(8, Assert.Single(constants.GetMembers("Heads").OfType<IFieldSymbol>()).ConstantValue);
    }

    [Fact]
    public void AttributeOnTwoPartsReportsTheFirstPartsDiagnosticsOnce()
    {
        GeneratorRun run = GeneratorHarness.Run(
            StaticPartial("Attention.Attention(HeadDim = 64, Heads = 0)"),
            StaticPartial("Attention.Attention(HeadDim = 64, Heads = -1)"));

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("ATTN0004", diagnostic.Id);
        Assert.Equal("[Attention] on 'Kernel' has Heads = 0; expected at least 1", Message(diagnostic));
        Assert.Equal("Input0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(run.GeneratedSources);
        Assert.Contains(run.OutputDiagnostics, d => d.Id == "CS0579");
    }

    [Fact]
    public void AttributeTwiceOnOnePartGeneratesNothingAndLeavesTheErrorToTheCompiler()
    {
        const string Source = """
            namespace App;

            /// <summary>Both attributes on one declaration.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            [Attention.Attention(HeadDim = 32, Heads = 4)]
            public static partial class Kernel { }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.GeneratedSources);
        Diagnostic duplicate = Assert.Single(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS0579", duplicate.Id);
    }

    [Fact]
    public void EveryDescriptorHasATest()
    {
        // Ids tested above; a new descriptor without a test here fails this check.
        string[] tested = Enumerable.Range(1, 15).Select(i => $"ATTN{i:D4}").ToArray();
        string[] declared = typeof(DiagnosticDescriptors)
            .GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(p => ((DiagnosticDescriptor)p.GetValue(null)!).Id)
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(tested, declared);
    }

    [Fact]
    public void EveryDescriptorIsAnEnabledError()
    {
        foreach (var property in typeof(DiagnosticDescriptors).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
        {
            var descriptor = (DiagnosticDescriptor)property.GetValue(null)!;
            Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.True(descriptor.IsEnabledByDefault, descriptor.Id);
            Assert.Equal("Attention.Generated", descriptor.Category);
        }
    }

    [Fact]
    public void EachFaultIsReportedOnceWhenSeveralCombine()
    {
        // Every property is checked on its own, so one class can carry several ids; each names its own value.
        const string Source = """
            namespace App;

            [Attention.Attention(HeadDim = 0, Heads = 8, KvGroups = 3, Window = -2, Scale = float.NaN)]
            public class Kernel { }
            """;
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Equal(
            new[] { "ATTN0002", "ATTN0006", "ATTN0007", "ATTN0008", "ATTN0009", "ATTN0010" },
            run.GeneratorDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(run.GeneratedSources);
    }

    [Fact]
    public void OnlyTheFaultyClassLosesItsKernel()
    {
        GeneratorRun run = GeneratorHarness.Run(
            StaticPartial("Attention.Attention(HeadDim = 64, Heads = 8)", "Good"),
            StaticPartial("Attention.Attention(HeadDim = 64, Heads = 0)", "Bad"));

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("ATTN0004", diagnostic.Id);
        Assert.Contains("'Bad'", Message(diagnostic), StringComparison.Ordinal);
        Assert.Equal(new[] { "App.Good.Attention.g.cs" }, run.GeneratedSources.Keys);
    }

    [Theory]
    [InlineData("""
        /// <summary>Global namespace.</summary>
        [Attention.Attention(HeadDim = 64, Heads = 8)]
        public static partial class Kernel { }
        """, "Kernel")]
    [InlineData("""
        namespace App.Models
        {
            /// <summary>Block-scoped namespace.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.Models.Kernel")]
    [InlineData("""
        namespace App.Models;

        /// <summary>File-scoped namespace.</summary>
        [Attention.Attention(HeadDim = 64, Heads = 8)]
        public static partial class Kernel { }
        """, "App.Models.Kernel")]
    [InlineData("""
        namespace App;

        /// <summary>Partial class.</summary>
        public partial class Outer
        {
            /// <summary>Nested kernel.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.Outer+Kernel")]
    [InlineData("""
        /// <summary>Static partial class in the global namespace, two levels deep.</summary>
        public static partial class Outer
        {
            /// <summary>Inner.</summary>
            public partial class Inner
            {
                /// <summary>Nested kernel.</summary>
                [Attention.Attention(HeadDim = 64, Heads = 8)]
                public static partial class Kernel { }
            }
        }
        """, "Outer+Inner+Kernel")]
    [InlineData("""
        namespace App;

        /// <summary>Partial struct.</summary>
        public partial struct Outer
        {
            /// <summary>Nested kernel.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.Outer+Kernel")]
    [InlineData("""
        namespace App;

        /// <summary>Partial record.</summary>
        public partial record Outer
        {
            /// <summary>Nested kernel.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.Outer+Kernel")]
    [InlineData("""
        namespace App;

        /// <summary>Partial record struct.</summary>
        public partial record struct Outer
        {
            /// <summary>Nested kernel.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.Outer+Kernel")]
    [InlineData("""
        namespace App;

        /// <summary>Partial interface.</summary>
        public partial interface IOuter
        {
            /// <summary>Nested kernel.</summary>
            [Attention.Attention(HeadDim = 64, Heads = 8)]
            public static partial class Kernel { }
        }
        """, "App.IOuter+Kernel")]
    public void ValidPlacementsGenerateACompilingKernel(string source, string metadataName)
    {
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorHarness.Describe(run.OutputDiagnostics));
        ForwardOverloads.AssertExactly(run, metadataName);
    }

    [Theory]
    [InlineData("HeadDim = 1, Heads = 1")]
    [InlineData("HeadDim = 512, Heads = 64, KvGroups = 64")]
    [InlineData("HeadDim = 64, Heads = 8, KvGroups = 1, Causal = true, Window = 0, Scale = 0")]
    [InlineData("HeadDim = 64, Heads = 8, KvGroups = 8, Causal = false, Window = 1, Scale = 0.125f")]
    [InlineData("HeadDim = 64, Heads = 8, Scale = -0f")]
    [InlineData("HeadDim = 64, Heads = 8, Scale = 1e30f")]
    [InlineData("HeadDim = 64, Heads = 8, Scale = 2.3e38f")] // just below float.MaxValue / log2(e)
    [InlineData("HeadDim = 64, Heads = 8, Scale = float.Epsilon")]
    [InlineData("HeadDim = 64, Heads = 8, Window = int.MaxValue")]
    public void ValidConfigurationsProduceNoDiagnosticsOfAnyKind(string arguments)
    {
        GeneratorRun run = GeneratorHarness.Run(StaticPartial($"Attention.Attention({arguments})"));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorHarness.Describe(run.OutputDiagnostics));
    }

    /// <summary>A documented <c>public static partial class</c> in namespace App with the given attribute.</summary>
    private static string StaticPartial(string attribute, string className = "Kernel") => $$"""
        namespace App;

        /// <summary>Test kernel.</summary>
        [{{attribute}}]
        public static partial class {{className}} { }
        """;

    /// <summary>
    /// Asserts the source is valid C# on its own (so the only fault is the one under test), that the generator
    /// reports exactly <paramref name="id"/> as an error, and that it generates nothing.
    /// </summary>
    private static Diagnostic AssertSingleError(string source, string id)
    {
        var inputErrors = GeneratorHarness.CreateCompilation(source).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);
        Assert.True(!inputErrors.Any(), GeneratorHarness.Describe(inputErrors));

        GeneratorRun run = GeneratorHarness.Run(source);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Empty(run.GeneratedSources);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return diagnostic;
    }

    private static string Message(Diagnostic diagnostic) => diagnostic.GetMessage(CultureInfo.InvariantCulture);

    /// <summary>Asserts the diagnostic is in the input file and spans exactly <paramref name="expectedText"/>.</summary>
    private static void AssertLocation(Diagnostic diagnostic, string source, string expectedText)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.Equal("Input0.cs", span.Path);
        Assert.Equal(expectedText, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }
}
