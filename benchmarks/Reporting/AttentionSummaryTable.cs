using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Attention.Benchmarks.Probes;
using BenchmarkDotNet.Reports;

namespace Attention.Benchmarks.Reporting;

/// <summary>
/// The README table: one row per shape, one column per implementation, each cell the implementation's throughput
/// (GFLOP/s for prefill, GB/s for decode) from the BenchmarkDotNet medians of this run, and for peers how many
/// times faster our kernel was than that peer in the same run.
/// </summary>
public static class AttentionSummaryTable
{
    public const string OursMethod = "Ours";

    /// <summary>Column order: ours, then ONNX Runtime, then the plain .NET implementations.</summary>
    private static int MethodRank(string method) => method switch
    {
        OursMethod => 0,
        "OrtMha" => 1,
        "OrtGqa" or "OrtGqaShared" => 2,
        "OrtGqaCopy" => 3,
        "OrtAttention" => 4,
        "TensorPrimitives" => 5,
        "Reference" => 6,
        _ => 7,
    };

    public static string Build(IEnumerable<Summary> summaries, MachinePeaks peaks)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Attention throughput (medians of this run)");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.Append(peaks.Describe());
        sb.AppendLine("```");
        foreach (var summary in summaries)
        {
            var cases = summary.BenchmarksCases.Where(bc => summary[bc]?.ResultStatistics is not null).ToList();
            if (cases.Count == 0) continue;
            var methods = cases.Select(bc => (Name: bc.Descriptor.WorkloadMethod.Name, Display: bc.Descriptor.WorkloadMethodDisplayInfo.Trim('\'')))
                               .Distinct().OrderBy(m => MethodRank(m.Name)).ToList();
            var shapes = cases.Select(bc => Applicability.ShapeOf(bc)!).Distinct()
                              .OrderBy(s => s.IsDecode).ThenBy(s => s.Heads).ThenByDescending(s => s.KvGroups).ThenBy(s => s.HeadDim)
                              .ThenBy(s => s.Window).ThenBy(s => s.KeyLength).ThenBy(s => s.Causal).ToList();
            bool hasOurs = methods.Any(m => m.Name == OursMethod);

            sb.AppendLine();
            sb.AppendLine($"### {summary.BenchmarksCases[0].Descriptor.Type.Name}");
            sb.AppendLine();
            sb.Append("| Shape |");
            foreach (var m in methods) sb.Append(' ').Append(m.Display).Append(" |");
            sb.AppendLine();
            sb.Append("|---|");
            foreach (var _ in methods) sb.Append("---:|");
            sb.AppendLine();

            foreach (var shape in shapes)
            {
                var row = cases.Where(bc => Equals(Applicability.ShapeOf(bc), shape)).ToList();
                double? ours = row.Where(bc => bc.Descriptor.WorkloadMethod.Name == OursMethod)
                                  .Select(bc => ThroughputColumn.MedianSeconds(summary, bc)).FirstOrDefault();
                sb.Append("| ").Append(shape).Append(" |");
                foreach (var m in methods)
                {
                    var bc = row.FirstOrDefault(x => x.Descriptor.WorkloadMethod.Name == m.Name);
                    if (bc is null) { sb.Append(" n/a |"); continue; }
                    double seconds = ThroughputColumn.MedianSeconds(summary, bc)!.Value;
                    string cell = shape.IsDecode
                        ? string.Create(c, $"{shape.KvBytes / seconds / 1e9:F1} GB/s")
                        : string.Create(c, $"{shape.UsefulFlops / seconds / 1e9:F1}");
                    if (m.Name == OursMethod)
                        cell += shape.IsDecode
                            ? string.Create(c, $" ({100 * shape.KvBytes / seconds / 1e9 / peaks.StreamAllCores:F0}% stream)")
                            : string.Create(c, $" ({100 * shape.UsefulFlops / seconds / 1e9 / peaks.ComputePeak:F0}% peak)");
                    else if (hasOurs && ours is double o)
                        cell += string.Create(c, $" (ours {seconds / o:F2}x)");
                    sb.Append(' ').Append(cell).Append(" |");
                }
                sb.AppendLine();
            }
            sb.AppendLine();
            if (shapes.Any(s => !s.IsDecode))
                sb.AppendLine("Prefill cells: useful GFLOP/s (4*HeadDim per unmasked query-key pair per head / median time); % peak: of the all-core FMA peak above.");
            if (shapes.Any(s => s.IsDecode))
                sb.AppendLine("Decode cells: K+V bytes per step / median time; % stream: of the all-core stream bandwidth above.");
            if (hasOurs) sb.AppendLine("\"ours Nx\": the peer's median time over ours (above 1: ours is faster). n/a: the peer cannot compute that attention.");
        }
        return sb.ToString();
    }

    public static void Write(IEnumerable<Summary> summaries, MachinePeaks peaks)
    {
        var list = summaries.ToList();
        if (list.Count == 0) return;
        string table = Build(list, peaks);
        Console.WriteLine();
        Console.WriteLine(table);
        try
        {
            string dir = list[0].ResultsDirectoryPath;
            Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, "attention-summary.md");
            File.WriteAllText(path, table);
            Console.WriteLine($"Summary table written to {path}");
        }
        catch (IOException e)
        {
            Console.WriteLine($"Could not write the summary table: {e.Message}");
        }
    }
}
