using System.Diagnostics;

/// <summary>
/// How every benchmark of this project times its cases: each case runs once to warm up, then all of them run in turn
/// <c>repeats</c> times (load on a shared machine drifts, so no case gets all the quiet or all the busy moments), and
/// each case's best wall time is kept.
/// </summary>
internal static class RoundRobin
{
    /// <summary>The best wall time of each of <paramref name="runs"/>, in order.</summary>
    public static TimeSpan[] BestTimes(IReadOnlyList<Action> runs, int repeats) =>
        Best(runs.Select<Action, Func<double>>(run => () =>
        {
            var clock = Stopwatch.StartNew();
            run();
            return clock.Elapsed.TotalSeconds;
        }).ToArray(), repeats).Select(TimeSpan.FromSeconds).ToArray();

    /// <summary>The smallest value each of <paramref name="runs"/> returned (a time it measured itself), in order.</summary>
    public static double[] Best(IReadOnlyList<Func<double>> runs, int repeats)
    {
        foreach (var run in runs)
            run();
        var best = runs.Select(_ => double.MaxValue).ToArray();
        for (int r = 0; r < repeats; r++)
        {
            for (int k = 0; k < runs.Count; k++)
                best[k] = Math.Min(best[k], runs[k]());
        }
        return best;
    }
}
