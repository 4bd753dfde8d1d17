using System;
using System.Runtime.InteropServices;

namespace Attention.Benchmarks;

/// <summary>
/// A 64-byte aligned float buffer in native memory: it never moves, so ONNX Runtime tensors can be created over it
/// once (no copies, no pinning per call), and every implementation in a benchmark reads the very same bytes.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private float* _data;

    public NativeBuffer(long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length) * sizeof(float), 64);
        NativeMemory.Clear(_data, (nuint)Math.Max(1, length) * sizeof(float));
    }

    public long Length { get; }

    public long ByteLength => Length * sizeof(float);

    public IntPtr Pointer => (IntPtr)_data;

    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new Span<float>(_data, checked((int)Length));
        }
    }

    /// <summary>Fills with uniform values in [-1, 1) from a fixed seed (deterministic across runs and processes).</summary>
    public NativeBuffer FillRandom(int seed)
    {
        var random = new Random(seed);
        var span = Span;
        for (int i = 0; i < span.Length; i++) span[i] = (float)(random.NextDouble() * 2.0 - 1.0);
        return this;
    }

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer() => Dispose();
}

/// <summary>Query, key and value for one shape, plus helpers shared by the implementations.</summary>
public sealed class AttentionInputs : IDisposable
{
    public AttentionInputs(AttentionShape shape, int seed = 1234)
    {
        Shape = shape;
        Query = new NativeBuffer(shape.QueryElements).FillRandom(seed);
        Key = new NativeBuffer(shape.KeyElements).FillRandom(seed + 1);
        Value = new NativeBuffer(shape.KeyElements).FillRandom(seed + 2);
    }

    public AttentionShape Shape { get; }

    public NativeBuffer Query { get; }

    public NativeBuffer Key { get; }

    public NativeBuffer Value { get; }

    public void Dispose()
    {
        Query.Dispose();
        Key.Dispose();
        Value.Dispose();
    }
}
