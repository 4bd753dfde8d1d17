using System;
using System.Collections.Generic;

namespace Attention.Benchmarks;

public static partial class Implementations
{
    static partial void AddFeatureChecks(List<(string, Action)> list)
    {
        list.AddRange(PatternBenchmarks.SmallChecks());
        list.AddRange(MaskBiasBenchmarks.SmallChecks());
        list.AddRange(BatchBenchmarks.SmallChecks());
    }
}
