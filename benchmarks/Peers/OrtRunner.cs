using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Attention.Benchmarks.Peers;

/// <summary>
/// Base of the ONNX Runtime peers: one InferenceSession over a one-node model built in code, every input and
/// output bound once (OrtIoBinding over OrtValues created on our own native buffers), so <see cref="Run"/> is a
/// single RunWithBinding call: no tensor allocation or copy on our side is timed. The session uses all cores
/// (intra-op threads = processor count) and full graph optimization.
/// </summary>
public abstract class OrtRunner : IAttentionRunner
{
    private readonly List<IDisposable> _owned = new();
    private InferenceSession? _session;
    private OrtIoBinding? _binding;
    private RunOptions? _runOptions;

    protected OrtRunner(string name, AttentionInputs inputs)
    {
        Name = name;
        Inputs = inputs;
        OutputBuffer = Own(new NativeBuffer(inputs.Shape.QueryElements));
    }

    public string Name { get; }

    protected AttentionInputs Inputs { get; }

    protected AttentionShape Shape => Inputs.Shape;

    protected NativeBuffer OutputBuffer { get; }

    public virtual ReadOnlySpan<float> Output => OutputBuffer.Span;

    /// <summary>Number of intra-op threads ORT is given (all cores, as our kernels use).</summary>
    public static int Threads => Environment.ProcessorCount;

    public virtual void Run() => _session!.RunWithBinding(_runOptions!, _binding!);

    /// <summary>Creates the session; call once from the derived constructor, then bind.</summary>
    protected void CreateSession(byte[] model)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(model, options);
        _binding = _session.CreateIoBinding();
        _runOptions = new RunOptions();
    }

    protected void BindInput(string name, NativeBuffer buffer, params long[] shape)
        => _binding!.BindInput(name, FloatTensor(buffer.Pointer, buffer.ByteLength, shape));

    protected void BindOutput(string name, NativeBuffer buffer, params long[] shape)
        => _binding!.BindOutput(name, FloatTensor(buffer.Pointer, buffer.ByteLength, shape));

    protected void BindValue(string name, Microsoft.ML.OnnxRuntime.OrtValue value) => _binding!.BindInput(name, value);

    /// <summary>Binds a small int32 input (lengths); the array is pinned for the runner's lifetime.</summary>
    protected void BindInt32Input(string name, int[] values, params long[] shape)
    {
        var pinned = GC.AllocateArray<int>(values.Length, pinned: true);
        values.CopyTo(pinned, 0);
        var value = Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int32, shape,
            Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length * sizeof(int)));
        _keepAlive.Add(pinned);
        _binding!.BindInput(name, value);
    }

    private readonly List<object> _keepAlive = new();

    protected OrtValue FloatTensor(IntPtr data, long byteLength, long[] shape)
    {
        long elements = 1;
        foreach (long d in shape) elements *= d;
        if (elements * sizeof(float) > byteLength)
            throw new ArgumentException($"Tensor of shape [{string.Join(",", shape)}] does not fit in {byteLength} bytes.");
        return Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, data, elements * sizeof(float)));
    }

    protected T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        _binding?.Dispose();
        _session?.Dispose();
        _runOptions?.Dispose();
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        GC.SuppressFinalize(this);
    }
}
