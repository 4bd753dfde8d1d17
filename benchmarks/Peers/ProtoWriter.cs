using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace Attention.Benchmarks.Peers;

/// <summary>
/// The few pieces of the protocol buffers wire format an ONNX model needs: varints, 32-bit floats, and
/// length-delimited strings and sub-messages. Enough to write a one-node ModelProto without a protobuf library.
/// </summary>
public sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly List<byte> _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    public ProtoWriter Int64(int field, long value)
    {
        Tag(field, WireVarint);
        Varint(unchecked((ulong)value));
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        foreach (byte b in buffer) _bytes.Add(b);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, byte[] value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        _bytes.AddRange(value);
        return this;
    }

    /// <summary>Writes a sub-message built by <paramref name="build"/> as a length-delimited field
    /// (an empty sub-message is still written: for TensorShapeProto it means a scalar).</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> build)
    {
        var inner = new ProtoWriter();
        build(inner);
        return Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.Add((byte)value);
    }
}
