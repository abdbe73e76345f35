using System.Text.Json;
using Bulwark.Repository.Format;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// Job states and job locks of one <see cref="JobScope"/> in STATE/jobs/KEY/. A state file is replaced atomically
/// (<see cref="AtomicFile"/>), so a reader sees the old or the new state; a damaged one reads as none. States written
/// before they were kept per scope (STATE/jobs/NAME.json) do not say which repository they were for, and are not read.
/// </summary>
public sealed class JobStateStore
{
    public JobStateStore(string stateDirectory, JobScope scope)
    {
        Scope = scope;
        Folder = Path.Combine(stateDirectory, "jobs", scope.Key);
    }

    /// <summary>The job states of <paramref name="context"/>'s repository and database.</summary>
    public static JobStateStore For(BulwarkContext context) => new(context.Config.StateDirectory, JobScope.Of(context));

    public JobScope Scope { get; }

    public string Folder { get; }

    public JobState? Read(string job)
    {
        var path = Path.Combine(Folder, job + ".json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), OperationsJson.TypeInfo<JobState>()) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <exception cref="BulwarkException">The state folder cannot be written.</exception>
    public void Write(JobState state)
    {
        state = state with { Repository = Scope.Repository, Database = Scope.Database };
        var path = Path.Combine(Folder, state.Job + ".json");
        try
        {
            OwnerOnly.CreateFolder(Folder);
            AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(state, RepositoryJson.TypeInfo<JobState>(OperationsJson.Indented)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(e);
        }
    }

    /// <summary>Read, change, write (the job lock serialises the runs that change a job's state).</summary>
    public JobState Update(string job, Func<JobState, JobState> change)
    {
        var state = change(Read(job) ?? new JobState { Job = job });
        Write(state);
        return state;
    }

    /// <summary>Takes the job's lock, or returns null (and who holds it) when another run of the job holds it.</summary>
    /// <exception cref="BulwarkException">The state folder cannot be written.</exception>
    public JobLock? TryLock(string job, DateTimeOffset now, out string? holder)
    {
        try
        {
            return JobLock.TryAcquire(Folder, job, now, out holder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(e);
        }
    }

    private BulwarkException Unwritable(Exception e) => new(ErrorKind.Failed,
        $"cannot write the job state in {Folder}: {e.Message}",
        "check that the state folder ('state:' in bulwark.yml) is writable by this user and its disk is not full");
}
