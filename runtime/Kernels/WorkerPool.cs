namespace Attention.Kernels;

/// <summary>
/// A fixed set of background threads (one per core beyond the caller's) that help one call at a time.
/// A call that finds the pool busy gets <c>false</c> from <see cref="TryRun"/> and runs on its own thread,
/// so the machine is never oversubscribed and concurrent callers share nothing mutable.
/// </summary>
internal sealed class WorkerPool
{
    public static readonly WorkerPool Shared = new(Environment.ProcessorCount - 1);

    private readonly int _capacity;
    private readonly SemaphoreSlim _start = new(0);
    private readonly ManualResetEventSlim _finished = new(false);
    private int _started;
    private int _busy;

    // The job in flight, written by the owning caller before workers are released and read by them after.
    private KernelWorkItem? _kernel;
    private KernelArguments _arguments;
    private int _itemCount;
    private int _scratchFloats;
    private int _nextItem;
    private int _helpersRunning;
    private Exception? _failure;

    private WorkerPool(int capacity) => _capacity = Math.Max(0, capacity);

    /// <summary>
    /// Runs all items with the caller plus up to <paramref name="helpers"/> workers; false (and nothing run)
    /// when another call holds the pool or it has no workers.
    /// </summary>
    public bool TryRun(KernelWorkItem kernel, in KernelArguments arguments, int itemCount, int scratchFloats, int helpers)
    {
        helpers = Math.Min(helpers, _capacity);
        if (helpers <= 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            EnsureStarted(helpers);
            _kernel = kernel;
            _arguments = arguments;
            _itemCount = itemCount;
            _scratchFloats = scratchFloats;
            _nextItem = 0;
            _failure = null;
            _helpersRunning = helpers;
            _finished.Reset();
            _start.Release(helpers);

            RunItems(ThreadScratch.Get(scratchFloats));
            _finished.Wait();
            _kernel = null;
            if (_failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            }

            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void RunItems(Span<float> scratch)
    {
        KernelWorkItem kernel = _kernel!;
        int item;
        while ((item = Interlocked.Increment(ref _nextItem) - 1) < _itemCount)
        {
            kernel(in _arguments, item, scratch);
        }
    }

    private void EnsureStarted(int helpers)
    {
        while (_started < helpers)
        {
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"Attention worker {_started + 1}" };
            thread.Start();
            _started++;
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            try
            {
                RunItems(ThreadScratch.Get(_scratchFloats));
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, exception, null);
                // Let the other threads drain quickly: nothing more is handed out.
                Volatile.Write(ref _nextItem, int.MaxValue / 2);
            }

            if (Interlocked.Decrement(ref _helpersRunning) == 0)
            {
                _finished.Set();
            }
        }
    }
}
