using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace EquiRecon.Onnx;

/// <summary>
/// A read-only view of one ONNX graph for walking it by topology: initializers by name, the nodes that consume each
/// tensor, and checked accessors whose errors name the file and the node.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, TensorProto> initializers;
    private readonly Dictionary<string, List<NodeProto>> consumers = new(StringComparer.Ordinal);
    private readonly HashSet<NodeProto> visited = [];

    private OnnxGraph(ModelProto model, string path)
    {
        Model = model;
        Path = path;
        Graph = model.Graph ?? throw new OnnxImportException($"{path}: the ONNX model has no graph.");
        initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in Graph.Initializer)
            initializers[t.Name] = t;
        foreach (var node in Graph.Node)
        {
            foreach (var input in node.Input)
            {
                if (!consumers.TryGetValue(input, out var list))
                    consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>The parsed model.</summary>
    public ModelProto Model { get; }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>The main graph.</summary>
    public GraphProto Graph { get; }

    /// <summary>Reads and parses an ONNX file.</summary>
    /// <exception cref="OnnxImportException">Missing or not an ONNX model.</exception>
    public static OnnxGraph Read(string path, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new OnnxImportException($"{what} not found: {path}.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{what} {path} could not be read: {e.Message}", e);
        }
        try
        {
            return new OnnxGraph(ModelProto.Parser.ParseFrom(bytes), path);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"{what} {path} is not an ONNX model (protobuf parse failed): {e.Message}", e);
        }
    }

    /// <summary>The graph's one real input (graph inputs that are initializers are skipped).</summary>
    public ValueInfoProto SingleInput()
    {
        var inputs = Graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToArray();
        return inputs.Length == 1
            ? inputs[0]
            : throw Fail($"expected one graph input, found {inputs.Length} ({string.Join(", ", inputs.Select(i => i.Name))})");
    }

    /// <summary>The graph's one output.</summary>
    public ValueInfoProto SingleOutput() =>
        Graph.Output.Count == 1 ? Graph.Output[0] : throw Fail($"expected one graph output, found {Graph.Output.Count}");

    /// <summary>The static shape of a graph input or output (every dimension must be a fixed value).</summary>
    public long[] Shape(ValueInfoProto value)
    {
        var dims = value.Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
            throw Fail($"'{value.Name}' has no fixed shape");
        return dims.Select(d => d.DimValue).ToArray();
    }

    /// <summary>The nodes that read <paramref name="tensor"/>.</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) =>
        consumers.TryGetValue(tensor, out var list) ? list : [];

    /// <summary>The one node reading <paramref name="tensor"/>, which must be a <paramref name="opType"/>.</summary>
    public NodeProto Next(string tensor, string opType, string role)
    {
        var next = Consumers(tensor);
        if (next.Count != 1 || next[0].OpType != opType)
            throw Fail($"expected '{tensor}' to feed exactly one {opType} ({role}), found {Describe(next)}");
        return Visit(next[0]);
    }

    /// <summary>Marks a node as accounted for.</summary>
    public NodeProto Visit(NodeProto node)
    {
        if (!visited.Add(node))
            throw Fail($"{Name(node)} is reached twice; the graph is not the expected chain of blocks");
        return node;
    }

    /// <summary>Throws unless every node of the graph was visited.</summary>
    public void CheckAllVisited()
    {
        var stray = Graph.Node.Where(n => !visited.Contains(n)).ToArray();
        if (stray.Length > 0)
            throw Fail($"{stray.Length} node(s) are not part of the expected network: {Describe(stray)}");
    }

    /// <summary>The node's only output.</summary>
    public string Output(NodeProto node) =>
        node.Output.Count == 1 ? node.Output[0] : throw Fail(node, $"expected one output, found {node.Output.Count}");

    /// <summary>Checks the number of inputs.</summary>
    public void Inputs(NodeProto node, int count, string detail)
    {
        if (node.Input.Count != count)
            throw Fail(node, $"expected {count} inputs ({detail}), found {node.Input.Count}");
    }

    /// <summary>The initializer feeding input <paramref name="index"/> of <paramref name="node"/> as float32 values, checking its shape.</summary>
    public float[] Floats(NodeProto node, int index, long[] shape, string role)
    {
        if (index >= node.Input.Count || !initializers.TryGetValue(node.Input[index], out var t))
            throw Fail(node, $"input {index} ({role}) is not a constant initializer");
        if (!t.Dims.SequenceEqual(shape))
            throw Fail(node, $"{role} '{t.Name}' has shape [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", shape)}]");
        return Floats(t, node);
    }

    /// <summary>The values of a float32 initializer (<c>float_data</c> or little-endian <c>raw_data</c>).</summary>
    public float[] Floats(TensorProto t, NodeProto node)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw Fail(node, $"initializer '{t.Name}' has data type {t.DataType}, expected float32 ({(int)TensorProto.Types.DataType.Float})");
        var count = t.Dims.Aggregate(1L, (a, d) => a * d);
        float[] values;
        if (t.FloatData.Count > 0)
        {
            values = t.FloatData.ToArray();
        }
        else if (!t.RawData.IsEmpty)
        {
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("Reading ONNX raw_data needs a little-endian machine.");
            values = MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        }
        else
        {
            throw Fail(node, $"initializer '{t.Name}' has no data (external data is not supported)");
        }
        if (values.Length != count)
            throw Fail(node, $"initializer '{t.Name}' holds {values.Length} values, its shape needs {count}");
        return values;
    }

    /// <summary>An integer-list attribute, or <paramref name="fallback"/> when absent.</summary>
    public static long[]? Ints(NodeProto node, string name, long[]? fallback = null)
    {
        var a = node.Attribute.FirstOrDefault(x => x.Name == name);
        return a is null ? fallback : a.Ints.ToArray();
    }

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public static long Int(NodeProto node, string name, long fallback)
    {
        var a = node.Attribute.FirstOrDefault(x => x.Name == name);
        return a is null ? fallback : a.I;
    }

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public static float Float(NodeProto node, string name, float fallback)
    {
        var a = node.Attribute.FirstOrDefault(x => x.Name == name);
        return a is null ? fallback : a.F;
    }

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public static string String(NodeProto node, string name, string fallback)
    {
        var a = node.Attribute.FirstOrDefault(x => x.Name == name);
        return a is null ? fallback : a.S.ToStringUtf8();
    }

    /// <summary>Throws unless the integer-list attribute equals <paramref name="expected"/> (<paramref name="fallback"/> when absent).</summary>
    public void Expect(NodeProto node, string attribute, long[] expected, long[]? fallback, string role)
    {
        var actual = Ints(node, attribute, fallback);
        if (actual is null || !actual.SequenceEqual(expected))
            throw Fail(node, $"{role}: expected {attribute} {Format(expected)}, found {(actual is null ? "none" : Format(actual))}");
    }

    /// <summary>A node's name for messages: <c>node 'Convolution249' (Conv)</c>.</summary>
    public static string Name(NodeProto node) =>
        string.IsNullOrEmpty(node.Name)
            ? $"the {node.OpType} node writing '{(node.Output.Count > 0 ? node.Output[0] : "?")}'"
            : $"node '{node.Name}' ({node.OpType})";

    /// <summary>An exception naming the file.</summary>
    public OnnxImportException Fail(string message) => new($"{Path}: {message}.");

    /// <summary>An exception naming the file and the node.</summary>
    public OnnxImportException Fail(NodeProto node, string message) => new($"{Path}: {Name(node)}: {message}.");

    /// <summary><c>[1, 1, 0, 0]</c>.</summary>
    public static string Format(IEnumerable<long> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Describe(IReadOnlyCollection<NodeProto> nodes) =>
        nodes.Count == 0 ? "none" : string.Join(", ", nodes.Select(Name));
}
