using System;

namespace Attention.Benchmarks;

/// <summary>
/// One implementation bound to one set of inputs: everything that can be prepared (sessions, bindings, scratch,
/// output buffers) is prepared in the constructor, so <see cref="Run"/> times only the attention itself.
/// </summary>
public interface IAttentionRunner : IDisposable
{
    /// <summary>Display name, e.g. "ORT GroupQueryAttention".</summary>
    string Name { get; }

    /// <summary>Computes attention over the bound inputs into the bound output.</summary>
    void Run();

    /// <summary>The result of the last <see cref="Run"/>, token-major [N][Heads][HeadDim].</summary>
    ReadOnlySpan<float> Output { get; }
}

/// <summary>Signature of a generated <c>Forward</c> (and of <c>AttentionReference.Forward</c> with the
/// configuration bound).</summary>
public delegate void AttentionForward(
    ReadOnlySpan<float> query, ReadOnlySpan<float> key, ReadOnlySpan<float> value, Span<float> output,
    int queryLength, int keyLength);

/// <summary>Runs a managed forward function (ours, the reference) over native input buffers.</summary>
public sealed class DelegateRunner : IAttentionRunner
{
    private readonly AttentionInputs _inputs;
    private readonly AttentionForward _forward;
    private readonly NativeBuffer _output;

    public DelegateRunner(string name, AttentionInputs inputs, AttentionForward forward)
    {
        Name = name;
        _inputs = inputs;
        _forward = forward;
        _output = new NativeBuffer(inputs.Shape.QueryElements);
    }

    public string Name { get; }

    public ReadOnlySpan<float> Output => _output.Span;

    public void Run()
    {
        var s = _inputs.Shape;
        _forward(_inputs.Query.Span, _inputs.Key.Span, _inputs.Value.Span, _output.Span, s.QueryLength, s.KeyLength);
    }

    public void Dispose() => _output.Dispose();
}
