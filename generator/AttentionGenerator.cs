using Attention.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Attention.Generator;

/// <summary>
/// Emits a specialized attention kernel for every class annotated with <c>[Attention.Attention]</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class AttentionGenerator : IIncrementalGenerator
{
    private const string AttributeMetadataName = "Attention.AttentionAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Find [Attention] classes and read each into plain values (spec + diagnostics). This is the only
        //    step that touches symbols and syntax; its output is equatable, so unrelated edits stop here.
        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeMetadataName,
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                transform: static (context, cancellationToken) => Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Spec);

        // 2. Diagnostics are reported on their own, so a diagnostic that merely moved does not re-emit source.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        // 3. Valid specs become one source file each.
        IncrementalValuesProvider<KernelSpec> specs = parsed
            .Select(static (result, _) => result.Spec)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.Model);
        context.RegisterSourceOutput(specs, static (context, spec) =>
            context.AddSource(spec.HintName, Emit(spec, context.CancellationToken)));
    }
}
