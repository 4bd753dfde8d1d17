using System;
using System.Collections.Generic;

namespace Attention.Benchmarks.Peers;

/// <summary>ONNX tensor element types used here (onnx.TensorProto.DataType).</summary>
public enum OnnxElementType
{
    Float = 1,
    Int32 = 6,
}

/// <summary>
/// Builds the bytes of an ONNX ModelProto holding a single node, written field by field with
/// <see cref="ProtoWriter"/> (field numbers from onnx.proto3). Graph inputs and outputs carry static shapes.
/// </summary>
public sealed class OnnxModelBuilder
{
    // ModelProto
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelGraph = 7, ModelOpsetImport = 8;
    // OperatorSetIdProto
    private const int OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    private const int GraphNode = 1, GraphName = 2, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    // AttributeProto and its AttributeType values
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrType = 20;
    private const int AttrTypeFloat = 1, AttrTypeInt = 2;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
    private const int ValueInfoName = 1, ValueInfoType = 2;
    private const int TypeTensor = 1;
    private const int TensorElemType = 1, TensorShape = 2;
    private const int ShapeDim = 1;
    private const int DimValue = 1;

    /// <summary>IR version 10 (ONNX 1.16); ONNX Runtime accepts newer opsets with it.</summary>
    public long IrVersion { get; set; } = 10;

    private readonly List<(string Name, OnnxElementType Type, long[] Shape)> _inputs = new();
    private readonly List<(string Name, OnnxElementType Type, long[] Shape)> _outputs = new();
    private readonly List<(string Domain, long Version)> _opsets = new();
    private readonly List<(string Name, bool IsFloat, long I, float F)> _attributes = new();
    private readonly List<string> _nodeInputs = new();
    private readonly List<string> _nodeOutputs = new();
    private string _opType = "";
    private string _domain = "";

    public OnnxModelBuilder Opset(string domain, long version)
    {
        _opsets.Add((domain, version));
        return this;
    }

    /// <summary>Sets the one node. Use "" in <paramref name="inputs"/> to skip an optional input.</summary>
    public OnnxModelBuilder Node(string opType, string domain, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        _opType = opType;
        _domain = domain;
        _nodeInputs.AddRange(inputs);
        _nodeOutputs.AddRange(outputs);
        return this;
    }

    public OnnxModelBuilder Attribute(string name, long value)
    {
        _attributes.Add((name, false, value, 0f));
        return this;
    }

    public OnnxModelBuilder Attribute(string name, float value)
    {
        _attributes.Add((name, true, 0, value));
        return this;
    }

    public OnnxModelBuilder Input(string name, OnnxElementType type, params long[] shape)
    {
        _inputs.Add((name, type, shape));
        return this;
    }

    public OnnxModelBuilder Output(string name, OnnxElementType type, params long[] shape)
    {
        _outputs.Add((name, type, shape));
        return this;
    }

    public byte[] Build()
    {
        if (_opType.Length == 0) throw new InvalidOperationException("The model has no node.");
        var model = new ProtoWriter();
        model.Int64(ModelIrVersion, IrVersion);
        model.String(ModelProducerName, "Attention.Benchmarks");
        model.Message(ModelGraph, graph =>
        {
            graph.Message(GraphNode, node =>
            {
                foreach (var input in _nodeInputs) node.String(NodeInput, input);
                foreach (var output in _nodeOutputs) node.String(NodeOutput, output);
                node.String(NodeName, _opType + "_0");
                node.String(NodeOpType, _opType);
                foreach (var a in _attributes)
                {
                    node.Message(NodeAttribute, attr =>
                    {
                        attr.String(AttrName, a.Name);
                        if (a.IsFloat) attr.Float(AttrF, a.F);
                        else attr.Int64(AttrI, a.I);
                        attr.Int64(AttrType, a.IsFloat ? AttrTypeFloat : AttrTypeInt);
                    });
                }
                if (_domain.Length > 0) node.String(NodeDomain, _domain);
            });
            graph.String(GraphName, _opType);
            foreach (var input in _inputs) graph.Message(GraphInput, w => ValueInfo(w, input));
            foreach (var output in _outputs) graph.Message(GraphOutput, w => ValueInfo(w, output));
        });
        foreach (var (domain, version) in _opsets)
            model.Message(ModelOpsetImport, w => w.String(OpsetDomain, domain).Int64(OpsetVersion, version));
        return model.ToArray();
    }

    private static void ValueInfo(ProtoWriter w, (string Name, OnnxElementType Type, long[] Shape) value)
    {
        w.String(ValueInfoName, value.Name);
        w.Message(ValueInfoType, type => type.Message(TypeTensor, tensor =>
        {
            tensor.Int64(TensorElemType, (long)value.Type);
            tensor.Message(TensorShape, shape =>
            {
                foreach (long d in value.Shape) shape.Message(ShapeDim, dim => dim.Int64(DimValue, d));
            });
        }));
    }
}
