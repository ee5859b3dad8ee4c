using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace EquiRecon.TorchSharp.Heads;

/// <summary>
/// The shape of an <see cref="MlpHead"/>: layer sizes <c>d0 → d1 → … → dk</c>; every hidden layer is
/// Linear, BatchNorm (optional), ReLU; the last is a Linear alone.
/// </summary>
public sealed record MlpHeadOptions
{
    private readonly ReadOnlyCollection<int> dims;

    /// <summary>Creates and validates options.</summary>
    /// <param name="dims">Layer sizes, input first, output last: at least two entries, all positive.</param>
    /// <param name="batchNorm">Whether hidden layers have batch norm; default true.</param>
    /// <param name="lastBias">Whether the last Linear has a bias; default false (VICReg, SIE).</param>
    /// <exception cref="ArgumentException">Fewer than two sizes, or a size is not positive.</exception>
    public MlpHeadOptions(IReadOnlyList<int> dims, bool batchNorm = true, bool lastBias = false)
    {
        ArgumentNullException.ThrowIfNull(dims);
        this.dims = Array.AsReadOnly(dims.ToArray());
        BatchNorm = batchNorm;
        LastBias = lastBias;
        Validate();
    }

    /// <summary>Layer sizes, input first, output last (at least two entries).</summary>
    public IReadOnlyList<int> Dims
    {
        get => dims;
        init => dims = Array.AsReadOnly((value ?? throw new ArgumentNullException(nameof(value))).ToArray());
    }

    /// <summary>
    /// Whether hidden layers have batch norm (default true). With batch norm, hidden Linear layers have no bias,
    /// which batch norm would cancel; without it they have one.
    /// </summary>
    public bool BatchNorm { get; init; }

    /// <summary>Whether the last Linear has a bias (default false, as VICReg's expander and SIE's projectors).</summary>
    public bool LastBias { get; init; }

    /// <summary>Input features, <c>Dims[0]</c>.</summary>
    public int InputDim => dims[0];

    /// <summary>Output features, <c>Dims[^1]</c>.</summary>
    public int OutputDim => dims[^1];

    /// <summary>Checks the options (also after a <c>with</c> expression).</summary>
    /// <exception cref="ArgumentException">Fewer than two sizes, or a size is not positive.</exception>
    public void Validate()
    {
        if (dims.Count < 2)
            throw new ArgumentException($"An MLP head needs at least an input and an output size, got {dims.Count} size(s).", nameof(Dims));
        for (var i = 0; i < dims.Count; i++)
        {
            if (dims[i] < 1)
                throw new ArgumentException($"Every size must be positive, got {dims[i].ToString(CultureInfo.InvariantCulture)} at position {i.ToString(CultureInfo.InvariantCulture)} of [{string.Join(", ", dims)}].", nameof(Dims));
        }
    }

    /// <inheritdoc />
    public bool Equals(MlpHeadOptions? other) =>
        other is not null && dims.SequenceEqual(other.dims) && BatchNorm == other.BatchNorm && LastBias == other.LastBias;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in dims)
            hash.Add(d);
        hash.Add(BatchNorm);
        hash.Add(LastBias);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Dims = [{string.Join(", ", dims)}], BatchNorm = {BatchNorm}, LastBias = {LastBias}");
        return true;
    }
}
