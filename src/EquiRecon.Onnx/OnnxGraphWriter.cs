using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace EquiRecon.Onnx;

/// <summary>
/// Builds one ONNX graph through OnnxSharp's protobuf classes (never by hand): float32 and int64 initializers, nodes
/// with integer, float and integer-list attributes, and graph inputs and outputs of float32 tensors whose first
/// dimension may be symbolic.
/// </summary>
internal sealed class OnnxGraphWriter
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int counter;

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; } = new();

    /// <summary>A fresh tensor name starting with <paramref name="prefix"/>.</summary>
    public string Fresh(string prefix)
    {
        string name;
        do
        {
            name = $"{prefix}_{counter++}";
        }
        while (!names.Add(name));
        return name;
    }

    /// <summary>Adds a float32 initializer.</summary>
    public string Floats(string name, float[] values, params long[] dims)
    {
        Check(name, values.Length, dims);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(LittleEndian(MemoryMarshal.AsBytes(values.AsSpan())));
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds an int64 initializer.</summary>
    public string Longs(string name, long[] values, params long[] dims)
    {
        Check(name, values.Length, dims);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node of the default domain and returns its (single) output's name.</summary>
    public string Node(string opType, string[] inputs, string? output = null, params AttributeProto[] attributes)
    {
        output ??= Fresh(opType.ToLowerInvariant());
        names.Add(output);
        var node = new NodeProto { OpType = opType, Name = "node_" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Declares a float32 graph input or output; a dimension is a fixed size or, as a string, a symbolic one.</summary>
    public static ValueInfoProto FloatTensor(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"Unsupported dimension {d}.", nameof(dims)),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private void Check(string name, int count, long[] dims)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"The ONNX tensor name '{name}' is used twice.");
        if (dims.Aggregate(1L, (a, d) => a * d) != count)
            throw new InvalidOperationException($"Initializer '{name}' has {count} values for shape [{string.Join(", ", dims)}].");
    }

    private static byte[] LittleEndian(ReadOnlySpan<byte> bytes)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Writing ONNX raw_data needs a little-endian machine.");
        return bytes.ToArray();
    }
}
