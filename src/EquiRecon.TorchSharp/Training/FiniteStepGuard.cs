using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Training;

/// <summary>What <see cref="FiniteStepGuard.Step"/> did with one optimizer step.</summary>
internal enum GuardedStepOutcome
{
    /// <summary>The first forward and backward pass were finite; the optimizer stepped.</summary>
    Applied,

    /// <summary>The first pass was not finite, the recomputed one was; the optimizer stepped.</summary>
    Recomputed,

    /// <summary>Both passes were not finite; nothing changed (weights, optimizer state and BatchNorm statistics as before).</summary>
    Skipped,
}

/// <summary>
/// The one home of the finite-step rule of every training loop (pretraining, probes, segmentation heads): the loss and
/// the global gradient norm must be finite before the optimizer steps. A step that is not finite is recomputed once on
/// the same input (oneDNN's AVX-512 convolutions return NaN input gradients at random on some CPUs, and the recomputed
/// pass is finite; docs/benchmarks.md, "The finite-step guard"); still not finite, it is skipped and counted, as
/// mixed-precision loss scalers skip overflowing steps; after <see cref="MaxConsecutiveSkips"/> skipped steps in a row
/// the run stops with a <see cref="TrainingDivergedException"/>. The module's buffers (BatchNorm running statistics) are
/// restored before a recomputation and after a skip, so a skipped step leaves the model exactly as it was. The checks
/// do not change the arithmetic of a finite step: clipping is libtorch's <c>clip_grad_norm_</c>, whose total norm is the
/// check; without clipping the norm is computed beside the gradients.
/// </summary>
internal sealed class FiniteStepGuard : IDisposable
{
    /// <summary>The default of <see cref="MaxConsecutiveSkips"/> (and of <see cref="PretrainingOptions.MaxConsecutiveSkippedSteps"/>): 5.</summary>
    public const int DefaultMaxConsecutiveSkips = 5;

    private readonly global::TorchSharp.Modules.Parameter[] _parameters;
    private readonly Func<IEnumerable<Tensor>> _buffers;
    private Tensor[] _live = [];
    private Tensor[] _saved = [];
    private long _calls;

    /// <summary>
    /// Guards steps over <paramref name="parameters"/>, restoring the buffers of <paramref name="model"/> (BatchNorm
    /// running statistics) when a pass is discarded. The buffers are looked up at each step, so moving or loading the
    /// model later is fine.
    /// </summary>
    public FiniteStepGuard(IEnumerable<global::TorchSharp.Modules.Parameter> parameters, nn.Module model, int maxConsecutiveSkips = DefaultMaxConsecutiveSkips)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConsecutiveSkips);
        _parameters = [.. parameters];
        _buffers = () => model.buffers();
        MaxConsecutiveSkips = maxConsecutiveSkips;
    }

    /// <summary>Skipped steps in a row after which <see cref="Step"/> throws.</summary>
    public int MaxConsecutiveSkips { get; }

    /// <summary>Steps whose first pass was not finite and whose recomputation was (the optimizer stepped).</summary>
    public int Recomputed { get; private set; }

    /// <summary>Steps skipped because both passes were not finite.</summary>
    public int Skipped { get; private set; }

    /// <summary>Skipped steps since the last applied one.</summary>
    public int ConsecutiveSkips { get; private set; }

    /// <summary>
    /// Test seam: called after each backward pass with the guarded step's index (0-based, counting every call of
    /// <see cref="Step"/>) and the attempt (0 or 1); when it returns true the first parameter's gradient is set to NaN,
    /// as oneDNN's faulty kernels do.
    /// </summary>
    internal Func<long, int, bool>? InjectNonFinite { get; set; }

    /// <summary>Restores counts kept in a checkpoint.</summary>
    public void Restore(int recomputed, int skipped)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recomputed);
        ArgumentOutOfRangeException.ThrowIfNegative(skipped);
        Recomputed = recomputed;
        Skipped = skipped;
    }

    /// <summary>
    /// One guarded step: zero the gradients, run <paramref name="loss"/> (the forward pass; it returns the scalar loss),
    /// backward, clip the global norm to <paramref name="clipNorm"/> (null: no clipping), check, and step
    /// <paramref name="optimizer"/>. Tensors it creates belong to the caller's dispose scope.
    /// </summary>
    /// <remarks><paramref name="context"/> names the run in the error, e.g. <c>"method 'vicreg', step 12"</c>, and may add what was kept.</remarks>
    /// <exception cref="TrainingDivergedException">This was the <see cref="MaxConsecutiveSkips"/>-th skipped step in a row.</exception>
    public GuardedStepOutcome Step(optim.Optimizer optimizer, Func<Tensor> loss, double? clipNorm, Func<string> context)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(context);
        var call = _calls++;
        Save();
        string? failure = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (attempt > 0)
                RestoreBuffers();
            optimizer.zero_grad();
            failure = TryBackward(loss, clipNorm, call, attempt);
            if (failure is null)
            {
                optimizer.step();
                ConsecutiveSkips = 0;
                if (attempt == 0)
                    return GuardedStepOutcome.Applied;
                Recomputed++;
                return GuardedStepOutcome.Recomputed;
            }
        }
        RestoreBuffers();
        optimizer.zero_grad();
        Skipped++;
        ConsecutiveSkips++;
        if (ConsecutiveSkips >= MaxConsecutiveSkips)
        {
            throw new TrainingDivergedException(
                $"Training stopped: {ConsecutiveSkips} steps in a row were not finite even when recomputed ({context()}; last: {failure}). " +
                $"{Skipped} steps were skipped and {Recomputed} recomputed in this run. A run whose loss stays non-finite has diverged: lower the learning rate " +
                "or the reconstruction weight. (The limit is PretrainingOptions.MaxConsecutiveSkippedSteps; docs/benchmarks.md, \"The finite-step guard\".)");
        }
        return GuardedStepOutcome.Skipped;
    }

    /// <summary>Forward, backward and clipping; returns why the pass is not usable, or null when it is finite.</summary>
    private string? TryBackward(Func<Tensor> loss, double? clipNorm, long call, int attempt)
    {
        var value = loss();
        var total = value.item<float>();
        if (!float.IsFinite(total))
            return $"the loss is {total}";
        value.backward();
        if (InjectNonFinite?.Invoke(call, attempt) == true && _parameters.FirstOrDefault(p => p.grad is not null) is { } poisoned)
        {
            using (no_grad())
                poisoned.grad!.fill_(float.NaN);
        }
        var norm = clipNorm is double clip ? nn.utils.clip_grad_norm_(_parameters, clip) : GradientNorm();
        return double.IsFinite(norm) ? null : $"the loss is {total} but the gradient norm is {norm}";
    }

    /// <summary>The global L2 norm of the gradients, computed beside them (they are not changed).</summary>
    private double GradientNorm()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor? sum = null;
        foreach (var p in _parameters)
        {
            if (p.grad is not { } g)
                continue;
            var square = g.norm().to(ScalarType.Float64).square();
            sum = sum is null ? square : sum.add_(square);
        }
        return sum is null ? 0 : Math.Sqrt(sum.item<double>());
    }

    /// <summary>
    /// Copies the model's buffers into the snapshot (allocated once, outside any dispose scope; again only if the buffers'
    /// shapes change). The buffer wrappers are looked up anew each step: they belong to the caller's dispose scope.
    /// </summary>
    private void Save()
    {
        using var noGrad = no_grad();
        _live = [.. _buffers()];
        var same = _live.Length == _saved.Length && _live.Zip(_saved).All(p => p.First.dtype == p.Second.dtype && p.First.shape.SequenceEqual(p.Second.shape));
        if (!same)
        {
            DisposeSnapshot();
            _saved = [.. _live.Select(b => b.detach().clone().DetachFromDisposeScope())];
            return;
        }
        for (var i = 0; i < _live.Length; i++)
            _saved[i].copy_(_live[i]);
    }

    private void RestoreBuffers()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < _live.Length; i++)
            _live[i].copy_(_saved[i]);
    }

    private void DisposeSnapshot()
    {
        foreach (var t in _saved)
            t.Dispose();
        _saved = [];
    }

    /// <inheritdoc />
    public void Dispose() => DisposeSnapshot();
}
