using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// A fitted regression probe as one module: standardise the input with the training statistics, apply the probe MLP
/// <c>d → hidden → hidden → k</c> (the one of <see cref="ProbeTrainer"/>), map the output back to the targets' units.
/// Maps features <c>(B, d)</c> to predictions <c>(B, k)</c>. Parameters are <c>mlp.fc1.weight</c>, …,
/// <c>mlp.fc3.bias</c> (with <c>mlp.bn1</c>, <c>mlp.bn2</c> when batch norm is on); the statistics are the buffers
/// <c>input_mean</c>, <c>input_std</c> <c>(1, d)</c> and <c>target_mean</c>, <c>target_std</c> <c>(1, k)</c>, so the
/// state dict holds everything and <see cref="ToBytes"/> / <see cref="FromBytes"/> round-trip it exactly.
/// Fit one with <see cref="RegressionProbeTrainer.Fit(Tensor, Tensor, ProbeOptions?)"/>.
/// </summary>
public sealed class RegressionProbeModel : nn.Module<Tensor, Tensor>
{
    private const int Magic = 0x31505252; // "RRP1" as a little-endian int32.
    private const int FormatVersion = 1;

#pragma warning disable IDE1006 // Field names are the state-dict names.
    private readonly Tensor input_mean;
    private readonly Tensor input_std;
    private readonly Tensor target_mean;
    private readonly Tensor target_std;
    private readonly Sequential mlp;
#pragma warning restore IDE1006

    /// <summary>
    /// Creates an untrained probe: identity statistics, MLP weights drawn from <paramref name="generator"/> (PyTorch's
    /// default Linear initialisation).
    /// </summary>
    /// <param name="inputDim">Input features <c>d</c>, at least 1.</param>
    /// <param name="hidden">Width of the two hidden layers, at least 1.</param>
    /// <param name="outputDim">Predicted values <c>k</c>, at least 1.</param>
    /// <param name="batchNorm">Whether a BatchNorm1d follows each hidden Linear (before the ReLU).</param>
    /// <param name="generator">Generator of the initial weights; null for a fixed seed of 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1.</exception>
    public RegressionProbeModel(int inputDim, int hidden, int outputDim, bool batchNorm = false, Generator? generator = null)
        : base(nameof(RegressionProbeModel))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDim, 1);
        TorchNative.EnsureLoaded();
        InputDim = inputDim;
        Hidden = hidden;
        OutputDim = outputDim;
        BatchNorm = batchNorm;
        // Buffers leave any enclosing dispose scope: they live as long as the module.
        input_mean = zeros(1, inputDim).DetachFromDisposeScope();
        input_std = ones(1, inputDim).DetachFromDisposeScope();
        target_mean = zeros(1, outputDim).DetachFromDisposeScope();
        target_std = ones(1, outputDim).DetachFromDisposeScope();
        if (generator is null)
        {
            using var seeded = new Generator(0);
            mlp = ProbeTrainer.BuildMlp(inputDim, hidden, outputDim, batchNorm, seeded);
        }
        else
        {
            mlp = ProbeTrainer.BuildMlp(inputDim, hidden, outputDim, batchNorm, generator);
        }
        RegisterComponents();
    }

    /// <summary>Input features <c>d</c>.</summary>
    public int InputDim { get; }

    /// <summary>Width of the hidden layers.</summary>
    public int Hidden { get; }

    /// <summary>Predicted values <c>k</c>.</summary>
    public int OutputDim { get; }

    /// <summary>Whether the hidden layers have batch norm.</summary>
    public bool BatchNorm { get; }

    /// <summary>Predicts <c>(B, k)</c> in the targets' units from features <c>(B, d)</c>.</summary>
    /// <exception cref="ArgumentException">The input is not <c>(B, d)</c>.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 2 || input.shape[1] != InputDim)
            throw new ArgumentException($"Expected features of shape (B, {InputDim.ToString(CultureInfo.InvariantCulture)}), got {TensorShapes.Shape(input)}.", nameof(input));
        using var scope = NewDisposeScope();
        var standardized = (input.to(ScalarType.Float32) - input_mean) / input_std;
        var result = mlp.call(standardized) * target_std + target_mean;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The MLP alone (standardised features in, standardised targets out); trained by <see cref="RegressionProbeTrainer"/>.</summary>
    internal Sequential Mlp => mlp;

    /// <summary>Copies the input statistics <c>(1, d)</c> and target statistics <c>(1, k)</c> into the buffers.</summary>
    internal void SetStatistics(Tensor inputMean, Tensor inputStd, Tensor targetMean, Tensor targetStd)
    {
        using var noGrad = no_grad();
        input_mean.copy_(inputMean);
        input_std.copy_(inputStd);
        target_mean.copy_(targetMean);
        target_std.copy_(targetStd);
    }

    /// <summary>
    /// The probe as bytes: a header (magic, format version, <c>d</c>, hidden, <c>k</c>, batch norm) followed by the
    /// state dict in TorchSharp's format. <see cref="FromBytes"/> reads it back.
    /// </summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(InputDim);
            writer.Write(Hidden);
            writer.Write(OutputDim);
            writer.Write(BatchNorm);
        }
        save(stream);
        return stream.ToArray();
    }

    /// <summary>Restores a probe written by <see cref="ToBytes"/> (on the CPU, in eval mode).</summary>
    /// <exception cref="FormatException">The bytes are not a probe of a known format version, or are truncated.</exception>
    public static RegressionProbeModel FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        int inputDim, hidden, outputDim;
        bool batchNorm;
        try
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadInt32() != Magic)
                throw new FormatException("The bytes are not a regression probe (wrong magic number).");
            var version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new FormatException($"Regression probe format version {version.ToString(CultureInfo.InvariantCulture)} is not supported; this library reads version {FormatVersion.ToString(CultureInfo.InvariantCulture)}.");
            inputDim = reader.ReadInt32();
            hidden = reader.ReadInt32();
            outputDim = reader.ReadInt32();
            batchNorm = reader.ReadBoolean();
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("The regression probe bytes are truncated.", e);
        }
        if (inputDim < 1 || hidden < 1 || outputDim < 1)
            throw new FormatException($"The regression probe header has invalid sizes d = {inputDim.ToString(CultureInfo.InvariantCulture)}, hidden = {hidden.ToString(CultureInfo.InvariantCulture)}, k = {outputDim.ToString(CultureInfo.InvariantCulture)}.");
        var model = new RegressionProbeModel(inputDim, hidden, outputDim, batchNorm);
        try
        {
            model.load(stream, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            model.Dispose();
            throw new FormatException($"The regression probe weights do not match its header: {e.Message}", e);
        }
        model.eval();
        return model;
    }
}
