using EquiRecon.MLNet.Persistence;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using TorchSharp;

namespace EquiRecon.MLNet.Runtime;

/// <summary>
/// The one encoder source of the ML.NET steps (featurizer, pretraining's featurizer, transformation probes,
/// segmentation): where an encoder's model file comes from — a model file path; else a <see cref="BuiltInEncoder"/>
/// (<see cref="BuiltInEncoders"/>); else, with neither, the default encoder <see cref="BuiltInEncoder.SmallCifar"/>; giving
/// both is an error (<see cref="Validate"/>) —, how it is read and checked once when a step is created (<see cref="Read"/>),
/// how it is stored in an ML.NET model (one stream, <see cref="StreamName"/>) and read back, and how its encoder is
/// loaded onto a device (<see cref="Load"/>, <see cref="LoadStored"/>). Errors: <see cref="ModelFileException"/> for a
/// file or built-in encoder, <see cref="FormatException"/> for a model file read back from an ML.NET model.
/// </summary>
internal static class EncoderSource
{
    /// <summary>
    /// Name of the zip stream that holds the model file inside an ML.NET model, for every step (the featurizer's name
    /// since its first version; probes and segmentation wrote <see cref="LegacyStreamName"/> before issue 15).
    /// </summary>
    public const string StreamName = "EncoderModel";

    /// <summary>The stream name of probe and segmentation models saved before issue 15; still read.</summary>
    public const string LegacyStreamName = "EncoderModelFile";

    /// <summary>
    /// How error messages name a model file read back from an ML.NET model zip. The model file reader starts its messages
    /// with the name it is given ("&lt;name&gt;: …"), so the names given to it here say what they name.
    /// </summary>
    public const string EmbeddedSource = "Model file (embedded in an ML.NET model)";

    /// <summary>The built-in encoder used when an option names neither a model file nor a built-in encoder.</summary>
    public const BuiltInEncoder DefaultBuiltIn = BuiltInEncoder.SmallCifar;

    /// <summary>
    /// Loads the encoder of a model file held in <paramref name="bytes"/> onto <paramref name="device"/> (eval mode), after
    /// loading libtorch (<see cref="TorchRuntime.EnsureLoaded"/>, whose message names <paramref name="component"/>).
    /// </summary>
    /// <param name="bytes">The model file, byte for byte.</param>
    /// <param name="sourceName">Where the bytes came from, for messages (<see cref="SourceName"/> or <see cref="EmbeddedSource"/>).</param>
    /// <param name="device">Where the encoder runs (<see cref="TorchRuntime.ResolveDevice"/>).</param>
    /// <param name="component">The step, for the message when libtorch is missing.</param>
    /// <exception cref="ModelFileException">The bytes are not a valid model file (truncated, corrupt, weights not matching the manifest).</exception>
    /// <exception cref="InvalidOperationException">libtorch did not load.</exception>
    public static PretrainedEncoder Load(byte[] bytes, string sourceName, torch.Device device, string component)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        TorchRuntime.EnsureLoaded(component);
        return ModelFile.Load(bytes, sourceName, device);
    }

    /// <summary>
    /// Loads the encoder of model file bytes read back from an ML.NET model (<see cref="LoadBytes"/>); an invalid file is a
    /// <see cref="FormatException"/>, as ML.NET reports damaged models, with the reader's message (which names the source).
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a valid model file.</exception>
    /// <exception cref="InvalidOperationException">libtorch did not load.</exception>
    public static PretrainedEncoder LoadStored(byte[] bytes, torch.Device device, string component)
    {
        try
        {
            return Load(bytes, EmbeddedSource, device, component);
        }
        catch (ModelFileException e)
        {
            throw new FormatException($"The EquiRecon model embedded in this ML.NET model (stream '{StreamName}') is invalid: {e.Message}", e);
        }
    }

    /// <summary>Writes the model file <paramref name="bytes"/> into an ML.NET model as the stream <see cref="StreamName"/>.</summary>
    public static void Save(ModelSaveContext ctx, byte[] bytes) => ModelBlob.Save(ctx, StreamName, bytes);

    /// <summary>
    /// Reads the model file bytes written by <see cref="Save"/>, or by a version that used <see cref="LegacyStreamName"/>
    /// when <paramref name="legacyName"/> (the transformer decides from the version it reads).
    /// </summary>
    /// <exception cref="FormatException">The stream is missing or damaged.</exception>
    public static byte[] LoadBytes(ModelLoadContext ctx, bool legacyName = false) => ModelBlob.Load(ctx, legacyName ? LegacyStreamName : StreamName);

    /// <summary>Checks the encoder choice of a step's options (not the file's content).</summary>
    /// <param name="path">The model file option's value.</param>
    /// <param name="builtIn">The built-in encoder option's value.</param>
    /// <param name="pathOption">The model file option's name (<c>ModelFile</c>), for messages and the exception's parameter name.</param>
    /// <param name="builtInOption">The built-in encoder option's name.</param>
    /// <exception cref="ArgumentException">The path is empty, both are given, or the built-in encoder is not a defined value.</exception>
    public static void Validate(string? path, BuiltInEncoder? builtIn, string pathOption, string builtInOption)
    {
        if (path is not null && string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"The model file path ({pathOption}) must not be empty (null selects the default encoder, or the one {builtInOption} names).", pathOption);
        if (builtIn is { } b && !Enum.IsDefined(b))
            throw new ArgumentException($"{builtInOption} is {(int)b}, which is no built-in encoder; choose one of {string.Join(", ", Enum.GetNames<BuiltInEncoder>())}, or null for the default ({DefaultBuiltIn}).", builtInOption);
        if (path is not null && builtIn is not null)
            throw new ArgumentException($"Both {pathOption} ('{path}') and {builtInOption} ({builtIn}) are set; an encoder comes from one of them. Set {pathOption} to use a model file, or {builtInOption} (with {pathOption} null) to use a built-in encoder.", builtInOption);
    }

    /// <summary>
    /// The bytes of the model file at <paramref name="path"/>, or of the built-in encoder <paramref name="builtIn"/>
    /// (the default encoder when both are <see langword="null"/>), validated as a whole when a step is created: the
    /// manifest, and the SHA-256 of the weights against it (no tensors are created and libtorch is not loaded), so a
    /// corrupt file fails here, naming the file, rather than at <c>Fit</c>.
    /// </summary>
    /// <exception cref="ModelFileException">The file is missing or not a valid EquiRecon model file, or the built-in encoder's
    /// package is not referenced (the message says how to add it).</exception>
    public static (byte[] Bytes, ModelManifest Manifest) Read(string? path, BuiltInEncoder? builtIn)
    {
        if (path is not null)
        {
            byte[] file = ReadFile(path);
            return (file, ModelFile.ReadWeights(file, SourceName(path, builtIn)).Manifest);
        }

        // Built-in encoders' bytes are SHA-256-checked by their readers.
        var bytes = BuiltInEncoders.ReadBytes(builtIn ?? DefaultBuiltIn);
        return (bytes, ModelFile.ReadManifest(bytes, SourceName(path, builtIn)));
    }

    /// <summary>The validated manifest of the encoder <paramref name="path"/> or <paramref name="builtIn"/> selects; validates as <see cref="Read"/> does.</summary>
    /// <exception cref="ModelFileException">As for <see cref="Read"/>.</exception>
    public static ModelManifest ReadManifest(string? path, BuiltInEncoder? builtIn) => Read(path, builtIn).Manifest;

    /// <summary>How prose messages name the encoder <paramref name="path"/> or <paramref name="builtIn"/> selects ("model file …", "the default encoder …").</summary>
    public static string Describe(string? path, BuiltInEncoder? builtIn)
        => path is not null ? "model file " + path : BuiltInEncoders.Describe(builtIn ?? DefaultBuiltIn);

    /// <summary>
    /// The name given to the model file reader for the encoder <paramref name="path"/> or <paramref name="builtIn"/> selects:
    /// <c>Model file &lt;path&gt;</c> (as the reader names files it opens itself), or <c>The built-in encoder &lt;name&gt;</c>.
    /// </summary>
    public static string SourceName(string? path, BuiltInEncoder? builtIn)
        => path is not null ? $"Model file {path}" : $"The built-in encoder {builtIn ?? DefaultBuiltIn}";

    private static byte[] ReadFile(string path)
        => File.Exists(path) ? File.ReadAllBytes(path) : throw new ModelFileException($"Model file not found: {path}.");
}
