using System;
using System.Numerics.Tensors;
using System.Threading.Tasks;

namespace Attention.Benchmarks.Peers;

/// <summary>
/// What a careful .NET developer would write with System.Numerics.Tensors, without a dedicated kernel:
/// Parallel.For over heads; per query row, one TensorPrimitives.Dot per visible key for the scores,
/// TensorPrimitives.SoftMax, then the weighted sum of value rows with TensorPrimitives.MultiplyAdd. Loop bounds
/// follow the mask (masked keys are skipped, not computed and discarded). Scratch is allocated once.
/// </summary>
public sealed class TensorPrimitivesAttention : IAttentionRunner
{
    private readonly AttentionInputs _inputs;
    private readonly NativeBuffer _output;
    private readonly float[][] _scores;
    private readonly Action<int> _head;

    public TensorPrimitivesAttention(AttentionInputs inputs)
    {
        _inputs = inputs;
        _output = new NativeBuffer(inputs.Shape.QueryElements);
        _scores = new float[inputs.Shape.Heads][];
        for (int h = 0; h < _scores.Length; h++) _scores[h] = new float[inputs.Shape.KeyLength];
        _head = RunHead;
    }

    public string Name => "TensorPrimitives";

    public ReadOnlySpan<float> Output => _output.Span;

    public void Run() => Parallel.For(0, _inputs.Shape.Heads, _head);

    private void RunHead(int h)
    {
        var s = _inputs.Shape;
        int d = s.HeadDim;
        int g = h / s.GroupSize;
        float scale = s.Scale;
        ReadOnlySpan<float> q = _inputs.Query.Span, k = _inputs.Key.Span, v = _inputs.Value.Span;
        Span<float> output = _output.Span;
        Span<float> scores = _scores[h];

        for (int i = 0; i < s.QueryLength; i++)
        {
            var outRow = output.Slice((i * s.Heads + h) * d, d);
            outRow.Clear();
            var (lo, hi) = FlopCounter.VisibleRange(i, s.QueryLength, s.KeyLength, s.Causal, s.Window);
            if (hi < lo) continue;

            var qRow = q.Slice((i * s.Heads + h) * d, d);
            var p = scores.Slice(0, hi - lo + 1);
            for (int j = lo; j <= hi; j++)
                p[j - lo] = TensorPrimitives.Dot(qRow, k.Slice((j * s.KvGroups + g) * d, d)) * scale;

            TensorPrimitives.SoftMax(p, p);

            for (int j = lo; j <= hi; j++)
                TensorPrimitives.MultiplyAdd(v.Slice((j * s.KvGroups + g) * d, d), p[j - lo], outRow, outRow);
        }
    }

    public void Dispose() => _output.Dispose();
}
