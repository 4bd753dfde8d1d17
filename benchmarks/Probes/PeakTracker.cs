using System;

namespace Attention.Benchmarks.Probes;

/// <summary>
/// Holds the peaks measured before the benchmarks and, the first time a report asks for them (that is, after the
/// benchmarks ran), measures once more and keeps the higher figure of each: on a shared machine a single probe can
/// land on a busy moment, and the denominator of "% peak" should be what the machine can do.
/// </summary>
public sealed class PeakTracker
{
    private readonly object _gate = new();
    private MachinePeaks _peaks;
    private bool _remeasured;

    public PeakTracker(MachinePeaks initial, bool remeasure = true)
    {
        _peaks = initial;
        _remeasured = !remeasure;
    }

    public MachinePeaks Peaks
    {
        get
        {
            lock (_gate)
            {
                if (!_remeasured)
                {
                    _remeasured = true;
                    Console.WriteLine("Measuring machine peaks again after the run...");
                    _peaks = _peaks.Max(MachinePeaks.Measure());
                }
                return _peaks;
            }
        }
    }
}
