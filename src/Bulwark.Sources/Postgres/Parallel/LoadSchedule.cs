using Bulwark.Repository;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// Shares N jobs between loading tables (in the order given, largest first) and building the indexes and constraints
/// of tables already loaded, as pg_restore -j does: a free job first builds what a loaded table is waiting for (that
/// table is at least as large as any still to load), then loads the next table. Once no table is left to load, a
/// build may take every free job.
/// </summary>
internal static class LoadSchedule
{
    /// <param name="tables">The tables, in the order to load them.</param>
    /// <param name="buildItems">How many items a table's build has once it is loaded; 0 for none.</param>
    /// <param name="load">Loads a table's rows.</param>
    /// <param name="build">Builds a loaded table's items with the given number of jobs.</param>
    /// <param name="failed">Cancelled when any load or build fails, so that the others (and the caller's own work) stop.</param>
    public static async Task RunAsync<T>(IReadOnlyList<T> tables, int jobs, Func<T, int> buildItems,
        Func<T, CancellationToken, Task> load, Func<T, int, CancellationToken, Task> build, CancellationTokenSource failed)
    {
        var toLoad = new Queue<T>(tables);
        var toBuild = new Queue<T>();
        var running = new Dictionary<Task, (T Table, bool Load, int Jobs)>();
        var started = new List<Task>();
        var free = Math.Max(1, jobs);
        while (true)
        {
            while (free > 0 && !failed.IsCancellationRequested)
            {
                Task task;
                if (toBuild.TryDequeue(out var loaded))
                {
                    var items = buildItems(loaded);
                    var given = toLoad.Count == 0 && toBuild.Count == 0 ? Math.Clamp(items, 1, free) : 1;
                    task = Workers.StopOthersOnFailure(Task.Run(() => build(loaded, given, failed.Token), CancellationToken.None), failed);
                    running.Add(task, (loaded, false, given));
                    free -= given;
                }
                else if (toLoad.TryDequeue(out var table))
                {
                    task = Workers.StopOthersOnFailure(Task.Run(() => load(table, failed.Token), CancellationToken.None), failed);
                    running.Add(task, (table, true, 1));
                    free--;
                }
                else
                {
                    break;
                }
                started.Add(task);
            }
            if (running.Count == 0)
                break;
            var done = await Task.WhenAny(running.Keys).ConfigureAwait(false);
            var (finished, wasLoad, held) = running[done];
            running.Remove(done);
            free += held;
            if (!done.IsCompletedSuccessfully)
                break;
            if (wasLoad && buildItems(finished) > 0)
                toBuild.Enqueue(finished);
        }
        // After a failure the others were cancelled; this waits for them and throws the first real cause.
        await Workers.WhenAllAsync(started).ConfigureAwait(false);
    }
}
