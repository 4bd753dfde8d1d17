using System.Runtime.CompilerServices;
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
    // A semaphore rather than ManualResetEventSlim for "all helpers done": the latter allocates its lock object the
    // first time a wait actually blocks, which would put an allocation into some later steady-state call.
    private readonly SemaphoreSlim _finished = new(0);
    private int _busy;

    // The job in flight, written by the owning caller before workers are released and read by them after.
    private KernelWorkItem? _kernel;
    private KernelArguments _arguments;
    private SequenceWork[]? _sequences;
    private int _sequenceCount;
    private int _itemCount;
    private int _scratchFloats;
    private int _nextItem;
    private int _helpersRunning;
    private Exception? _failure;

    // All workers start with the pool, on the first call that could use them, so no later call pays for (or
    // allocates) a thread; idle workers sleep on a semaphore.
    private WorkerPool(int capacity)
    {
        _capacity = Math.Max(0, capacity);
        for (int i = 0; i < _capacity; i++)
        {
            new Thread(WorkerLoop) { IsBackground = true, Name = $"Attention worker {i + 1}" }.Start();
        }
    }

    /// <summary>
    /// Runs all items with the caller plus up to <paramref name="helpers"/> workers; false (and nothing run)
    /// when another call holds the pool or it has no workers. With <paramref name="sequences"/> (a batch), item numbers
    /// run across the sequences and each item gets its sequence's arguments; otherwise every item gets <paramref name="arguments"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRun(KernelWorkItem kernel, in KernelArguments arguments, SequenceWork[]? sequences, int sequenceCount, int itemCount, int scratchFloats, int helpers)
    {
        helpers = Math.Min(helpers, _capacity);
        if (helpers <= 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            _kernel = kernel;
            _arguments = arguments;
            _sequences = sequences;
            _sequenceCount = sequenceCount;
            _itemCount = itemCount;
            _scratchFloats = scratchFloats;
            _nextItem = 0;
            _failure = null;
            _helpersRunning = helpers;
            _start.Release(helpers);

            try
            {
                RunItems(ThreadScratch.Get(scratchFloats));
            }
            catch (Exception exception)
            {
                Fail(exception);
            }

            // Even after a failure, the helpers must be done with this job before its fields can be reused.
            _finished.Wait();
            _kernel = null;
            _sequences = null;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunItems(Span<float> scratch)
    {
        KernelWorkItem kernel = _kernel!;
        SequenceWork[]? sequences = _sequences;
        int item;
        while ((item = Interlocked.Increment(ref _nextItem) - 1) < _itemCount)
        {
            if (sequences is null)
            {
                kernel(in _arguments, item, scratch);
            }
            else
            {
                int s = SequenceWork.Find(sequences, _sequenceCount, item);
                kernel(in sequences[s].Arguments, item - sequences[s].FirstItem, scratch);
            }
        }
    }

    /// <summary>Keeps the first failure and stops handing out items, so the other threads drain quickly.</summary>
    private void Fail(Exception exception)
    {
        Interlocked.CompareExchange(ref _failure, exception, null);
        Volatile.Write(ref _nextItem, int.MaxValue / 2);
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
                Fail(exception);
            }

            if (Interlocked.Decrement(ref _helpersRunning) == 0)
            {
                _finished.Release();
            }
        }
    }
}
