using System.Runtime.CompilerServices;

namespace Attention.Kernels;

/// <summary>
/// One call's inputs as seen by a work item: the addresses of the pinned tensors and the problem size.
/// Created by <see cref="KernelLauncher"/> while it holds the spans pinned; valid only during that call.
/// </summary>
public readonly unsafe struct KernelArguments
{
    private readonly float* _query;
    private readonly float* _key;
    private readonly float* _value;
    private readonly float* _output;

    internal KernelArguments(float* query, float* key, float* value, float* output, int queryLength, int keyLength, int tilesPerItem)
    {
        _query = query;
        _key = key;
        _value = value;
        _output = output;
        QueryLength = queryLength;
        KeyLength = keyLength;
        TilesPerItem = tilesPerItem;
    }

    /// <summary>First element of the query tensor.</summary>
    public ref float Query => ref Unsafe.AsRef<float>(_query);

    /// <summary>First element of the key tensor.</summary>
    public ref float Key => ref Unsafe.AsRef<float>(_key);

    /// <summary>First element of the value tensor.</summary>
    public ref float Value => ref Unsafe.AsRef<float>(_value);

    /// <summary>First element of the output tensor.</summary>
    public ref float Output => ref Unsafe.AsRef<float>(_output);

    /// <summary>Query tokens (N).</summary>
    public int QueryLength { get; }

    /// <summary>Key tokens (M).</summary>
    public int KeyLength { get; }

    /// <summary>Query tiles one work item covers, as planned by the generated entry point.</summary>
    public int TilesPerItem { get; }
}

/// <summary>A generated kernel's body for one work item; <paramref name="scratch"/> is the running thread's own, 64-byte aligned.</summary>
public delegate void KernelWorkItem(in KernelArguments arguments, int workItem, Span<float> scratch);
