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
/// The README table: one row per case, one column per implementation, each cell the implementation's throughput
/// (GFLOP/s for prefill, GB/s for decode) from the BenchmarkDotNet medians of this run, and for the others how many
/// times the baseline's time theirs was in the same run: "ours Nx" where the baseline is our kernel (<c>Ours</c>),
/// "&lt;baseline&gt; Nx" in the Features/ classes whose baseline is another of our entry points (e.g. <c>Packed</c>).
/// Methods marked <see cref="DenseKernelAttribute"/> also show the work ratio (dense pairs over the case's).
/// </summary>
public static class AttentionSummaryTable
{
    public const string OursMethod = "Ours";

    /// <summary>Column order: the baseline, then ONNX Runtime, then the plain .NET implementations, then the rest
    /// in declared order, dense kernels last.</summary>
    private static int MethodRank(string method, bool baseline, bool dense) => baseline ? 0 : dense ? 9 : method switch
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
            var cases = summary.BenchmarksCases.Where(bc => summary[bc]?.ResultStatistics is not null && Applicability.CaseOf(bc) is not null).ToList();
            if (cases.Count == 0) continue;
            var methods = cases.Select(bc => (Name: bc.Descriptor.WorkloadMethod.Name, Display: bc.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                                              Baseline: bc.Descriptor.Baseline, Dense: Applicability.RunsDenseKernel(bc)))
                               .Distinct().OrderBy(m => MethodRank(m.Name, m.Baseline, m.Dense)).ToList();
            var rows = cases.Select(bc => Applicability.CaseOf(bc)!).Distinct().ToList();
            if (rows.All(r => r is AttentionShape))
                rows = rows.Cast<AttentionShape>()
                           .OrderBy(s => s.IsDecode).ThenBy(s => s.Heads).ThenByDescending(s => s.KvGroups).ThenBy(s => s.HeadDim)
                           .ThenBy(s => s.Window).ThenBy(s => s.KeyLength).ThenBy(s => s.Causal).Cast<IAttentionCase>().ToList();
            var baseline = methods.FirstOrDefault(m => m.Baseline);
            bool hasBaseline = baseline.Name is not null;
            string baselineLabel = !hasBaseline ? string.Empty : baseline.Name == OursMethod ? "ours" : baseline.Display.ToLowerInvariant();

            sb.AppendLine();
            sb.AppendLine($"### {summary.BenchmarksCases[0].Descriptor.Type.Name}");
            sb.AppendLine();
            sb.Append("| Shape |");
            foreach (var m in methods) sb.Append(' ').Append(m.Display).Append(" |");
            sb.AppendLine();
            sb.Append("|---|");
            foreach (var _ in methods) sb.Append("---:|");
            sb.AppendLine();

            foreach (var attentionCase in rows)
            {
                var row = cases.Where(bc => Equals(Applicability.CaseOf(bc), attentionCase)).ToList();
                double? reference = !hasBaseline ? null
                    : row.Where(bc => bc.Descriptor.WorkloadMethod.Name == baseline.Name).Select(bc => ThroughputColumn.MedianSeconds(summary, bc)).FirstOrDefault();
                sb.Append("| ").Append(attentionCase).Append(" |");
                foreach (var m in methods)
                {
                    var bc = row.FirstOrDefault(x => x.Descriptor.WorkloadMethod.Name == m.Name);
                    if (bc is null) { sb.Append(" n/a |"); continue; }
                    double seconds = ThroughputColumn.MedianSeconds(summary, bc)!.Value;
                    double flops = Applicability.UsefulFlops(bc)!.Value;
                    string cell = attentionCase.IsDecode
                        ? string.Create(c, $"{attentionCase.KvBytes / seconds / 1e9:F1} GB/s")
                        : string.Create(c, $"{flops / seconds / 1e9:F1}");
                    if (m.Baseline)
                        cell += attentionCase.IsDecode
                            ? string.Create(c, $" ({100 * attentionCase.KvBytes / seconds / 1e9 / peaks.StreamAllCores:F0}% stream)")
                            : string.Create(c, $" ({100 * flops / seconds / 1e9 / peaks.ComputePeak:F0}% peak)");
                    else if (reference is double o)
                        cell += m.Dense
                            ? string.Create(c, $" ({baselineLabel} {seconds / o:F2}x; work {attentionCase.DenseFlops / attentionCase.UsefulFlops:F2}x)")
                            : string.Create(c, $" ({baselineLabel} {seconds / o:F2}x)");
                    sb.Append(' ').Append(cell).Append(" |");
                }
                sb.AppendLine();
            }
            sb.AppendLine();
            if (rows.Any(s => !s.IsDecode))
                sb.AppendLine("Prefill cells: useful GFLOP/s (4*HeadDim per unmasked query-key pair per head / median time); % peak: of the all-core FMA peak above.");
            if (rows.Any(s => s.IsDecode))
                sb.AppendLine("Decode cells: K+V bytes per step / median time; % stream: of the all-core stream bandwidth above.");
            if (hasBaseline && baseline.Name == OursMethod)
                sb.AppendLine("\"ours Nx\": the peer's median time over ours (above 1: ours is faster). n/a: the peer cannot compute that attention.");
            else if (hasBaseline)
                sb.AppendLine($"\"{baselineLabel} Nx\": the column's median time over {baseline.Display}'s in the same run (above 1: {baseline.Display} is faster). n/a: not run for that case.");
            if (methods.Any(m => m.Dense))
                sb.AppendLine("Dense columns: our dense kernel on the same tensors (same heads, head dim, tokens and causal flag; no window, pattern, mask or bias), "
                            + "its GFLOP/s over all of its own pairs. \"work Nx\": the dense kernel's visible pairs over the case's, the time ratio a kernel whose time is "
                            + "proportional to the visible pairs would show.");
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
