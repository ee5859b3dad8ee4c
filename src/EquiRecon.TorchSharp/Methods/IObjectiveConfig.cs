using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// The configuration of an objective that plugs into any method (<see cref="MethodConfig.AdditionalObjectives"/>): it
/// builds the objective's module, a loss over both views' encodings, and resizes the module's heads. A new objective is
/// one file (this configuration and its module); a method combining it with the built-in objectives is one
/// <see cref="MethodConfig"/> in <see cref="MethodRegistry"/>. The built-in objectives (VICReg, reconstruction, SIE,
/// supervised) keep their own slots on <see cref="MethodConfig"/>, whose names and order are part of every checkpoint.
/// </summary>
/// <remarks>
/// Implement it with a record: the checkpoint fingerprint hashes the record's JSON form, so every setting that changes
/// training must be a public property.
/// </remarks>
public interface IObjectiveConfig
{
    /// <summary>
    /// Name of the objective's module in the model: its weights are saved as <c>&lt;ModuleName&gt;.*</c>. Unique within the
    /// method, a valid module name, and none of the built-in ones (<see cref="PretrainingModel.ReservedModuleNames"/>).
    /// </summary>
    string ModuleName { get; }

    /// <summary>Whether the objective needs class labels (the data's labels reach it in <see cref="PairBatch"/>).</summary>
    bool RequiresLabels { get; }

    /// <summary>Builds the objective's module (its heads, initialised from torch's current generator, and its loss).</summary>
    nn.Module<PairBatch, LossTerms> Create(ObjectiveContext context);

    /// <summary>This configuration with its heads at <paramref name="sizes"/> (itself when it has none of those heads).</summary>
    IObjectiveConfig WithHeadSizes(HeadSizes sizes);
}
