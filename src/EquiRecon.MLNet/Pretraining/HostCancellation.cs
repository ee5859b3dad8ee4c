using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Pretraining;

/// <summary>
/// Turns ML.NET's cancellation (<c>MLContext.CancelExecution()</c>, internal to ML.NET and used by AutoML, which marks every
/// host as cancelled and has no callback) and a caller's token into one <see cref="CancellationToken"/>: <see cref="Poll"/>
/// checks the host on demand (e.g. at each progress report), and a timer checks it every <see cref="PollInterval"/> so that
/// a loop honouring the token stops at the next step.
/// </summary>
internal sealed class HostCancellation : IDisposable
{
    /// <summary>How often the host is checked in the background.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly IHost _host;
    private readonly CancellationTokenSource _source;
    private readonly Timer _timer;

    public HostCancellation(IHost host, CancellationToken callerToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        _host = host;
        _source = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        _timer = new Timer(_ => Poll(), null, PollInterval, PollInterval);
    }

    /// <summary>Cancelled once the host or the caller's token is.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the host has been cancelled.</summary>
    public bool IsHostCanceled => _host is ICancelable { IsCanceled: true };

    /// <summary>Cancels <see cref="Token"/> when the host has been cancelled.</summary>
    public void Poll()
    {
        if (IsHostCanceled && !_source.IsCancellationRequested)
            _source.Cancel();
    }

    /// <summary>Stops the timer (waiting for a callback in flight) and releases the token source.</summary>
    public void Dispose()
    {
        using (var stopped = new ManualResetEvent(false))
        {
            if (_timer.Dispose(stopped))
                stopped.WaitOne();
        }

        _source.Dispose();
    }
}
