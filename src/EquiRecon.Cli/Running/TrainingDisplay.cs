using System.Globalization;
using EquiRecon.TorchSharp.Training;
using Spectre.Console;

namespace EquiRecon.Cli.Running;

/// <summary>
/// Shows training progress: a live Spectre.Console progress bar with the loss terms, images/s and ETA on an
/// interactive console; one plain line per progress report otherwise (redirected output, CI, tests).
/// </summary>
internal static class TrainingDisplay
{
    /// <summary>Runs <paramref name="work"/> with a progress sink suited to <paramref name="console"/>.</summary>
    /// <param name="console">Where to show progress.</param>
    /// <param name="title">Label of the run (method name, row).</param>
    /// <param name="startStep">Steps already done (when resuming).</param>
    /// <param name="totalSteps">Steps planned.</param>
    /// <param name="work">The training; it reports through the sink it is given.</param>
    public static T Run<T>(CliConsole console, string title, int startStep, int totalSteps, Func<IProgress<TrainingProgress>, T> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (!console.Interactive)
            return work(new Plain(console, title));

        return console.Ansi.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(Describe(title, startStep, totalSteps, null)), maxValue: totalSteps);
                task.Value = startStep;
                var result = work(new Live(task, title));
                task.StopTask();
                return result;
            });
    }

    /// <summary>One line: step, losses, throughput and ETA.</summary>
    public static string Describe(string title, int step, int total, TrainingProgress? p)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{title} step {step}/{total}");
        if (p is null)
            return text;
        var losses = string.Join(' ', p.Losses.OrderBy(kv => kv.Key == "total" ? 0 : 1).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:G4}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"{text} {losses} | {p.ImagesPerSecond:F1} img/s | lr {p.LearningRate:G3} | ETA {Format(p.Remaining)}{(p.GuardSummary is { } guard ? " | " + guard : "")}");
    }

    /// <summary>h:mm:ss.</summary>
    public static string Format(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}");

    private sealed class Plain(CliConsole console, string title) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => console.Text(Describe(title, value.Step, value.TotalSteps, value));
    }

    private sealed class Live(ProgressTask task, string title) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            task.Value = value.Step;
            task.Description = Markup.Escape(Describe(title, value.Step, value.TotalSteps, value));
        }
    }
}
