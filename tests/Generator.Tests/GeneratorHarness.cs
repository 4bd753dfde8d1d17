using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>What one generator run produced.</summary>
/// <param name="GeneratorDiagnostics">Diagnostics the generator reported (the ATTN ids).</param>
/// <param name="GeneratedSources">Generated files by hint name.</param>
/// <param name="OutputDiagnostics">Diagnostics of the compilation that includes the generated files.</param>
/// <param name="Driver">The driver after the run, to rerun incrementally or read tracked steps from.</param>
/// <param name="OutputCompilation">The compilation that includes the generated files.</param>
internal sealed record GeneratorRun(
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableDictionary<string, string> GeneratedSources,
    ImmutableArray<Diagnostic> OutputDiagnostics,
    GeneratorDriver Driver,
    Compilation OutputCompilation)
{
    /// <summary>Output diagnostics at warning severity or above: what a build with warnings as errors would stop on.</summary>
    public ImmutableArray<Diagnostic> OutputWarningsAndErrors
        => OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
}

/// <summary>
/// Compiles source text against the running .NET runtime plus Attention.Generated.dll and runs the
/// <see cref="AttentionGenerator"/> over it, the way a consuming project's build would.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>Latest language, and documentation comments parsed and checked (as GenerateDocumentationFile does),
    /// so malformed XML in generated doc comments shows up as a warning.</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>
    /// Unsafe code is off: generated kernels must compile in a project that does not allow it. Nullable is on and
    /// every warning level is reported, as in this repository's projects.
    /// </summary>
    public static CSharpCompilationOptions CompilationOptions { get; } = new(
        OutputKind.DynamicallyLinkedLibrary,
        allowUnsafe: false,
        nullableContextOptions: NullableContextOptions.Enable,
        warningLevel: 9999);

    /// <summary>The running runtime's framework assemblies (the directory of System.Private.CoreLib) and the runtime library.</summary>
    public static ImmutableArray<MetadataReference> References { get; } = LoadReferences();

    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CSharpCompilation.Create(
            "Attention.Generator.Tests.Input",
            sources.Select((source, i) => Parse(source, $"Input{i}.cs")),
            References,
            CompilationOptions);

    public static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            new[] { new AttentionGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(CreateDriver(), CreateCompilation(sources));

    /// <summary>Runs <paramref name="driver"/> (fresh, or from an earlier run for incremental checks) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        ImmutableDictionary<string, string> sources = result.GeneratedSources
            .ToImmutableDictionary(s => s.HintName, s => s.SourceText.ToString());
        return new GeneratorRun(generatorDiagnostics, sources, output.GetDiagnostics(), driver, output);
    }

    /// <summary>Renders diagnostics one per line, for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
        => string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;

        // The trusted list also names this test's own dependencies (Roslyn, xunit, the generator); only the
        // framework's assemblies are what a consuming project would compile against.
        IEnumerable<string> framework = trusted
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.OrdinalIgnoreCase)
                && path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));

        return framework
            .Append(typeof(AttentionAttribute).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}
