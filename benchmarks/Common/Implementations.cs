using System;
using System.Collections.Generic;
using Attention.Benchmarks.Peers;

namespace Attention.Benchmarks;

/// <summary>Every implementation by its benchmark method name, for the <c>--verify</c> smoke test.</summary>
public static partial class Implementations
{
    public static IReadOnlyList<(string Method, Func<AttentionInputs, IAttentionRunner> Create)> All()
    {
        var list = new List<(string, Func<AttentionInputs, IAttentionRunner>)>
        {
            ("OrtMha", i => new OrtMultiHeadAttention(i)),
            ("OrtGqa", i => new OrtGroupQueryAttention(i)),
            ("OrtGqaCopy", i => new OrtGroupQueryAttention(i, sharedBuffer: false)),
            ("OrtAttention", i => new OrtOnnxAttention(i)),
            ("TensorPrimitives", i => new TensorPrimitivesAttention(i)),
        };
        AddOurs(list);
        return list;
    }

    /// <summary>Implemented in OurKernels.cs (absent while that file is excluded from the build).</summary>
    static partial void AddOurs(List<(string, Func<AttentionInputs, IAttentionRunner>)> list);

    /// <summary>The small-case checks of the Features/ benchmarks (patterns, mask and bias, batches) for
    /// <c>--verify</c>; none while Features/ is excluded from the build.</summary>
    public static IReadOnlyList<(string Name, Action Check)> FeatureChecks()
    {
        var list = new List<(string, Action)>();
        AddFeatureChecks(list);
        return list;
    }

    /// <summary>Implemented in Features/FeatureChecks.cs.</summary>
    static partial void AddFeatureChecks(List<(string, Action)> list);

    /// <summary>Every distinct shape of every benchmark class.</summary>
    public static IEnumerable<AttentionShape> AllShapes()
    {
        var seen = new HashSet<AttentionShape>();
        foreach (var benchmark in new AttentionBenchmarkBase[] { new PrefillBenchmarks(), new DecodeBenchmarks(), new WindowBenchmarks(), new ReferenceBenchmarks() })
            foreach (var shape in benchmark.Shapes())
                if (seen.Add(shape with { Quick = false })) yield return shape;
    }
}
