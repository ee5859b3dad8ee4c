using TorchSharp;

namespace EquiRecon.MLNet.Runtime;

/// <summary>
/// The one home of "run this libtorch work with N intra-op threads": libtorch (OpenMP) keeps the thread count per calling
/// thread, so a scope sets it on the current thread and restores the previous value when disposed. Used by the featurizer's
/// passes (<c>InferenceThreads</c>) and by the transformation probe's fit.
/// </summary>
internal readonly struct TorchThreads : IDisposable
{
    private readonly int _before;

    private TorchThreads(int before) => _before = before;

    /// <summary>Sets <paramref name="threads"/> on this thread until the scope is disposed; null (or the current value) changes nothing.</summary>
    public static TorchThreads Use(int? threads)
    {
        var before = torch.get_num_threads();
        if (threads is not { } n || n == before)
            return default;
        torch.set_num_threads(n);
        return new TorchThreads(before);
    }

    /// <summary>Restores the thread count in force before <see cref="Use"/>.</summary>
    public void Dispose()
    {
        if (_before > 0)
            torch.set_num_threads(_before);
    }
}
