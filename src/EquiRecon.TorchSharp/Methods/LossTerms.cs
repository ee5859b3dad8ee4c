using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>The scalar loss terms of one step, by name, and their weighted total (what is back-propagated).</summary>
public sealed class LossTerms
{
    /// <summary>Creates the terms.</summary>
    public LossTerms(Tensor total, IReadOnlyDictionary<string, Tensor> terms)
    {
        ArgumentNullException.ThrowIfNull(total);
        ArgumentNullException.ThrowIfNull(terms);
        Total = total;
        Terms = terms;
    }

    /// <summary>The weighted sum of all objectives, a scalar.</summary>
    public Tensor Total { get; }

    /// <summary>Each named term (scalars, unweighted as the objective reports them, e.g. <c>vicreg/variance</c>).</summary>
    public IReadOnlyDictionary<string, Tensor> Terms { get; }

    /// <summary>Copies every term and the total to CPU doubles (one synchronisation), with the total under <c>total</c>.</summary>
    public IReadOnlyDictionary<string, double> ToDoubles()
    {
        var names = Terms.Keys.ToArray();
        using var scope = NewDisposeScope();
        var stacked = stack(names.Select(n => Terms[n].detach().to(float64)).Append(Total.detach().to(float64)).ToArray()).cpu();
        var values = stacked.data<double>().ToArray();
        var result = new Dictionary<string, double>(names.Length + 1);
        for (int i = 0; i < names.Length; i++)
            result[names[i]] = values[i];
        result["total"] = values[^1];
        return result;
    }

    /// <summary>Moves every tensor to the enclosing dispose scope.</summary>
    public LossTerms MoveToOuterDisposeScope() =>
        new(Total.MoveToOuterDisposeScope(), Terms.ToDictionary(kv => kv.Key, kv => kv.Value.MoveToOuterDisposeScope()));
}
