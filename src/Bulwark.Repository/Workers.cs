using System.Runtime.ExceptionServices;

namespace Bulwark.Repository;

/// <summary>Tasks that work side by side and stop one another when one fails.</summary>
public static class Workers
{
    /// <summary>Awaits <paramref name="task"/>; if it fails (other than by being stopped), cancels <paramref name="failed"/> so that the others stop.</summary>
    public static async Task StopOthersOnFailure(Task task, CancellationTokenSource failed)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for every worker; if some failed, throws the first failure that is not a cancellation (the others were only stopped).</summary>
    public static async Task WhenAllAsync(IReadOnlyCollection<Task> workers)
    {
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            var cause = workers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (cause is not null)
                ExceptionDispatchInfo.Throw(cause);
            throw;
        }
    }
}
