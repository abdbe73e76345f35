using System.Text.Json;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// Job states and job locks in STATE/jobs/. A state file is replaced atomically (temporary file, rename), so a
/// reader sees the old or the new state; a damaged one reads as none.
/// </summary>
public sealed class JobStateStore
{
    public JobStateStore(string stateDirectory)
    {
        Folder = Path.Combine(stateDirectory, "jobs");
    }

    public string Folder { get; }

    public JobState? Read(string job)
    {
        var path = Path.Combine(Folder, job + ".json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<JobState>(File.ReadAllBytes(path), OperationsJson.Options) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(JobState state)
    {
        Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(Folder, state.Job + ".json");
        var temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(state, OperationsJson.Indented));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Read, change, write (the job lock serialises the runs that change a job's state).</summary>
    public JobState Update(string job, Func<JobState, JobState> change)
    {
        var state = change(Read(job) ?? new JobState { Job = job });
        Write(state);
        return state;
    }

    /// <summary>Takes the job's lock, or returns null (and who holds it) when another run of the job holds it.</summary>
    public JobLock? TryLock(string job, DateTimeOffset now, out string? holder) => JobLock.TryAcquire(Folder, job, now, out holder);
}
