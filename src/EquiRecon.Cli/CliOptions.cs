using EquiRecon.TorchSharp.Training;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Runtime;

namespace EquiRecon.Cli;

/// <summary>Option factories and validators shared by the commands; every error names its option.</summary>
internal static class CliOptions
{
    /// <summary>An integer option that must be at least <paramref name="minimum"/>.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int minimum = 1) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseInt(result, name, minimum) ?? defaultValue,
    };

    /// <summary>An optional integer option (null when absent) that must be at least <paramref name="minimum"/> when given.</summary>
    public static Option<int?> OptionalInt(string name, string description, int minimum = 1) => new(name)
    {
        Description = description,
        CustomParser = result => ParseInt(result, name, minimum),
    };

    /// <summary>A positive floating-point option.</summary>
    public static Option<double> PositiveDouble(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0)
                return value;
            result.AddError($"Option '{name}' must be a positive number, got '{text}'.");
            return defaultValue;
        },
    };

    /// <summary>A required folder that must exist.</summary>
    public static Option<DirectoryInfo> ExistingDirectory(string name, string description)
    {
        var option = new Option<DirectoryInfo>(name) { Description = description, Required = true };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<DirectoryInfo>() is { } dir && !dir.Exists)
                result.AddError($"Option '{name}': the folder '{dir.FullName}' does not exist.");
        });
        return option;
    }

    /// <summary>A required file that must exist.</summary>
    public static Option<FileInfo> ExistingFile(string name, string description)
    {
        var option = new Option<FileInfo>(name) { Description = description, Required = true };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<FileInfo>() is { } file && !file.Exists)
                result.AddError($"Option '{name}': the file '{file.FullName}' does not exist.");
        });
        return option;
    }

    /// <summary>A string option restricted to <paramref name="allowed"/> (the error lists them).</summary>
    public static Option<string> OneOf(string name, string description, IReadOnlyList<string> allowed, string? defaultValue = null, bool required = false)
    {
        var option = new Option<string>(name) { Description = description, Required = required };
        if (defaultValue is not null)
            option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !allowed.Contains(value, StringComparer.Ordinal))
                result.AddError($"Option '{name}': unknown value '{value}'. Choose one of: {string.Join(", ", allowed)}.");
        });
        option.CompletionSources.Add(allowed.ToArray());
        return option;
    }

    /// <summary>The <c>--device</c> option: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (read by <see cref="ComputeDevice"/>).</summary>
    public static Option<string> Device(string defaultValue = "cpu")
        => WithDeviceCheck(new Option<string>("--device") { Description = $"Where to run: {ComputeDevice.Forms}.", DefaultValueFactory = _ => defaultValue });

    /// <summary>A <c>--device</c> option without a default (null: the command decides, e.g. the budget's device).</summary>
    public static Option<string?> OptionalDevice(string description)
        => WithDeviceCheck(new Option<string?>("--device") { Description = description });

    /// <summary>
    /// <paramref name="device"/> (a <c>--device</c> value) checked to be available here (<see cref="ComputeDevice.EnsureAvailable"/>);
    /// the CLI does not fall back to the CPU.
    /// </summary>
    /// <exception cref="CliException">Not a device.</exception>
    /// <exception cref="DeviceUnavailableException">A CUDA device this machine does not have; the message names <c>--device</c>.</exception>
    public static ComputeDevice RequireDevice(string device)
    {
        if (!ComputeDevice.TryParse(device, out var parsed))
            throw new CliException($"Option '--device': '{device}' is not a device. Use {ComputeDevice.Forms}.");
        return parsed.EnsureAvailable($"Option '--device' is '{device}'",
            "This tool carries the CPU build of libtorch; install TorchSharp-cuda and a CUDA driver, or use --device cpu.");
    }

    private static Option<T> WithDeviceCheck<T>(Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is string value && !ComputeDevice.TryParse(value, out _))
                result.AddError($"Option '--device': '{value}' is not a device. Use {ComputeDevice.Forms}.");
        });
        return option;
    }

    /// <summary>The <c>--threads</c> option (null: libtorch's default, the number of cores).</summary>
    public static Option<int?> Threads() => OptionalInt("--threads", "Intra-op CPU threads (default: libtorch's, one per core).");

    /// <summary>The <c>--precision</c> option's names, in the order of <see cref="TrainingPrecision"/>.</summary>
    public static IReadOnlyList<string> PrecisionNames { get; } = [.. Enum.GetNames<TrainingPrecision>().Select(n => n.ToLowerInvariant())];

    /// <summary>The <c>--precision</c> option of pretraining: <c>fp32</c> (default) or <c>bf16</c> (<see cref="PretrainingOptions.Precision"/>).</summary>
    public static Option<string> Precision() => OneOf("--precision",
        "Encoder arithmetic: fp32 (default) or bf16 (bfloat16 on float32 master weights; on CPU needs DNNL_MAX_CPU_ISA=ALL and AVX-512 BF16).",
        PrecisionNames, PrecisionNames[0]);

    /// <summary>A <c>--precision</c> value as the enum.</summary>
    public static TrainingPrecision ParsePrecision(string name) => Enum.Parse<TrainingPrecision>(name, ignoreCase: true);

    /// <summary>The <c>--part</c> option of the probes.</summary>
    public static Option<string> Part(string defaultValue = "all") => OneOf("--part",
        "Representation part the probes read: all (the whole pooled representation), invariant, equivariant, or both (invariant and equivariant, each separately).",
        ProbeParts.Names, defaultValue);

    /// <summary>Splits a comma-separated list, trimming blanks.</summary>
    public static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>An error on <paramref name="result"/> unless the option <paramref name="a"/> and <paramref name="b"/> are not both given.</summary>
    public static void Exclusive(CommandResult result, Option a, Option b)
    {
        if (result.GetResult(a) is { Implicit: false } && result.GetResult(b) is { Implicit: false })
            result.AddError($"Options '{a.Name}' and '{b.Name}' cannot be used together; give one of them.");
    }

    /// <summary>Text of the command line as the user typed it (for provenance and reports).</summary>
    public static string CommandLine(ParseResult parse) =>
        "equirecon " + string.Join(' ', parse.Tokens.Select(t => t.Value.Contains(' ', StringComparison.Ordinal) ? "\"" + t.Value + "\"" : t.Value));

    private static int? ParseInt(ArgumentResult result, string name, int minimum)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"Option '{name}' expects a whole number, got '{text}'.");
            return null;
        }
        if (value < minimum)
        {
            result.AddError(Invariant($"Option '{name}' must be at least {minimum}, got {value}."));
            return null;
        }
        return value;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Names of the probes and representation parts on the command line.</summary>
internal static class ProbeParts
{
    /// <summary>Values of <c>--part</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["all", "invariant", "equivariant", "both"];

    /// <summary>The parts a <c>--part</c> value stands for.</summary>
    public static IReadOnlyList<RepresentationPart> Parse(string value) => value switch
    {
        "all" => [RepresentationPart.All],
        "invariant" => [RepresentationPart.Invariant],
        "equivariant" => [RepresentationPart.Equivariant],
        "both" => [RepresentationPart.Invariant, RepresentationPart.Equivariant],
        _ => throw new CliException($"Option '--part': unknown value '{value}'. Choose one of: {string.Join(", ", Names)}."),
    };

    /// <summary>Lower-case name of a part (as in reports and JSON).</summary>
    public static string Name(RepresentationPart part) => part switch
    {
        RepresentationPart.All => "all",
        RepresentationPart.Invariant => "invariant",
        RepresentationPart.Equivariant => "equivariant",
        _ => part.ToString(),
    };
}

/// <summary>The probe names of <c>--probes</c>.</summary>
internal static class ProbeNames
{
    /// <summary>Transformation probes by name, in report order.</summary>
    public static IReadOnlyList<(string Name, TransformKind Kind)> Transformations { get; } =
        TransformKinds.All.Select(kind => (TransformKinds.Name(kind), kind)).ToArray();

    /// <summary>The classification probe (linear top-1 and kNN top-1).</summary>
    public const string Classification = "cls";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Transformations.Select(t => t.Name), Classification];

    /// <summary>The name of a transformation kind.</summary>
    public static string Of(TransformKind kind) => Transformations.First(t => t.Kind == kind).Name;

    /// <summary>Parses a comma-separated list; unknown names throw naming the option.</summary>
    public static (IReadOnlyList<TransformKind> Kinds, bool Classification) Parse(string list)
    {
        var names = CliOptions.SplitList(list);
        if (names.Length == 0)
            throw new CliException($"Option '--probes' is empty. Choose from: {string.Join(", ", All)}.");
        var unknown = names.Where(n => !All.Contains(n, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
            throw new CliException($"Option '--probes': unknown probe '{unknown[0]}'. Choose from: {string.Join(", ", All)}.");
        var kinds = Transformations.Where(t => names.Contains(t.Name, StringComparer.Ordinal)).Select(t => t.Kind).ToArray();
        return (kinds, names.Contains(Classification, StringComparer.Ordinal));
    }
}
