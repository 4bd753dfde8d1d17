using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Attention.Generator.Tests;

/// <summary>
/// docs/diagnostics.md stays true: every ATTN id has a summary row and a section with the generator's exact title
/// and message, and every example's "Bad" code reports that id while its "Good" code generates a kernel.
/// </summary>
public sealed class DocumentationTests
{
    private static readonly string Document = File.ReadAllText(DocumentPath());

    public static TheoryData<string> Ids { get; } = new(Descriptors().Select(d => d.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public void SummaryRowHasTheTitleAndSeverity(string id)
    {
        DiagnosticDescriptor descriptor = Descriptor(id);

        Assert.Contains($"| [{id}](#{id.ToLowerInvariant()}) | {descriptor.Title} | Error |", Document, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void SectionHasTheTitleAndMessage(string id)
    {
        DiagnosticDescriptor descriptor = Descriptor(id);
        string section = Section(id);

        Assert.Contains($"**{descriptor.Title}** (error)", section, StringComparison.Ordinal);
        Assert.Contains($"Message: `{descriptor.MessageFormat}`", section, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void BadExampleReportsTheIdAndGoodExampleGeneratesAKernel(string id)
    {
        List<(string Label, string Code)> examples = Examples(Section(id));
        Assert.Contains(examples, e => e.Label.StartsWith("// Bad", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.Label.StartsWith("// Good", StringComparison.Ordinal));

        foreach ((string label, string code) in examples)
        {
            GeneratorRun run = GeneratorHarness.Run("using Attention;\n" + code);
            Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
            if (label.StartsWith("// Bad", StringComparison.Ordinal))
            {
                Assert.Equal(new[] { id }, run.GeneratorDiagnostics.Select(d => d.Id));
                Assert.Empty(run.GeneratedSources);
            }
            else
            {
                Assert.True(run.GeneratorDiagnostics.IsEmpty, $"{label}: {GeneratorHarness.Describe(run.GeneratorDiagnostics)}");
                Assert.Single(run.GeneratedSources);
            }
        }
    }

    [Fact]
    public void EveryDocumentedIdExists()
    {
        string[] documented = Regex.Matches(Document, @"^## (ATTN\d{4})$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();

        Assert.Equal(Descriptors().Select(d => d.Id).Order(StringComparer.Ordinal), documented);
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors()
        => typeof(DiagnosticDescriptors)
            .GetProperties(BindingFlags.Public | BindingFlags.Static)
            .Select(p => (DiagnosticDescriptor)p.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal);

    private static DiagnosticDescriptor Descriptor(string id) => Descriptors().Single(d => d.Id == id);

    /// <summary>The text from "## id" to the next "## " heading.</summary>
    private static string Section(string id)
    {
        string heading = $"\n## {id}\n";
        int start = Document.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"No section for {id}");
        int end = Document.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? Document[start..] : Document[start..end];
    }

    /// <summary>The section's csharp block, split at its "// Bad" and "// Good" comment lines.</summary>
    private static List<(string Label, string Code)> Examples(string section)
    {
        Match block = Regex.Match(section, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "No csharp block");
        var examples = new List<(string Label, string Code)>();
        foreach (string line in block.Groups[1].Value.Split('\n'))
        {
            if (line.StartsWith("// Bad", StringComparison.Ordinal) || line.StartsWith("// Good", StringComparison.Ordinal))
            {
                examples.Add((line, string.Empty));
            }
            else
            {
                Assert.NotEmpty(examples);
                examples[^1] = (examples[^1].Label, examples[^1].Code + line + "\n");
            }
        }

        return examples;
    }

    private static string DocumentPath([CallerFilePath] string thisFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "docs", "diagnostics.md"));
}
