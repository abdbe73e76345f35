using System.Globalization;
using Bulwark.Repository.Snapshots;
using Npgsql;

namespace Bulwark.Crash.Scenarios;

/// <summary>
/// One operation against one backend: a folder with its bulwark.yml and state, its repository, its database, and the
/// steps every trial shares (run and kill, verify, retry, cleanup and the look at what is left).
/// </summary>
public abstract class Scenario : IAsyncDisposable
{
    private string? _database;

    protected Scenario(CrashOptions options, BackendKind backend, string name)
    {
        Options = options;
        Backend = backend;
        Name = name;
        Folder = Path.Combine(options.WorkDirectory, $"{Slug(name)}-{backend.ToString().ToLowerInvariant()}");
        Directory.CreateDirectory(Folder);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["PGPASSWORD"] = options.Postgres.Password };
        if (options.S3 is not null)
        {
            foreach (var (key, value) in options.S3.Environment)
                environment[key] = value;
        }
        Program = new BulwarkProgram(options.ProgramPath, Folder, environment);
        Repository = NewRepository("repo");
    }

    public string Name { get; }
    public BackendKind Backend { get; }
    protected CrashOptions Options { get; }

    /// <summary>The scenario's folder: bulwark.yml, the state folder (HOME), local repositories, restored files.</summary>
    protected string Folder { get; }

    protected BulwarkProgram Program { get; }

    /// <summary>The repository under test, on the scenario's backend.</summary>
    protected RepositoryTarget Repository { get; }

    /// <summary>The command's usual duration, from the first (measuring) trial: kill delays are drawn from 0 to this.</summary>
    public TimeSpan Typical { get; protected set; }

    public abstract Task SetupAsync(CancellationToken cancellationToken);

    public abstract Task RunTrialAsync(Trial trial, CancellationToken cancellationToken);

    protected RepositoryTarget NewRepository(string what) => Backend == BackendKind.Local
        ? RepositoryTarget.Local(Path.Combine(Folder, what))
        : RepositoryTarget.S3(Options.S3 ?? throw new InvalidOperationException("no S3 server was given"),
            $"crash-{Slug(Name)}-{what}-{Guid.NewGuid():N}"[..48]);

    // ---- the database ----

    /// <summary>The scenario's own database: one table of about <see cref="CrashOptions.DataMegabytes"/> of text.</summary>
    protected string Database => _database ?? throw new InvalidOperationException("no database yet");

    protected string DatabaseUrl => Options.Postgres.Url(Database);

    protected async Task CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        _database = $"crash_{Slug(Name).Replace('-', '_')}_{Backend.ToString().ToLowerInvariant()}_{Guid.NewGuid():N}"[..40];
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{_database}\"", cancellationToken).ConfigureAwait(false);
        var rows = Options.DataMegabytes * 1_000_000L / 75;
        await ExecuteAsync(_database,
            "CREATE TABLE crash_data (id int PRIMARY KEY, payload text NOT NULL);" +
            $"INSERT INTO crash_data SELECT g, md5(g::text) || md5(random()::text) FROM generate_series(1, {rows}) g;", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes a fifth of the rows, spread over the whole table, so that the next backup writes new chunks.</summary>
    protected Task ChangeDataAsync(int trial, CancellationToken cancellationToken) =>
        ExecuteAsync(Database,
            $"UPDATE crash_data SET payload = md5(random()::text) || md5(random()::text) WHERE id % 5 = {(trial % 5).ToString(CultureInfo.InvariantCulture)}",
            cancellationToken);

    private async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(Options.Postgres.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- configuration and runs ----

    /// <summary>
    /// Writes bulwark.yml for <paramref name="repository"/>: cleanup without grace period (so a cleanup must remove
    /// every unreferenced chunk), the retention given, and <paramref name="extra"/>.
    /// </summary>
    protected void WriteConfig(RepositoryTarget repository, int keepLast, bool withDatabase, string extra = "")
    {
        var text = $"repository: {repository.Location}\n" +
                   (withDatabase ? $"postgres:\n  url: {DatabaseUrl}\n" : "") +
                   $"retention:\n  keep-last: {keepLast.ToString(CultureInfo.InvariantCulture)}\n" +
                   "cleanup:\n  grace-period: 0s\n  clock-skew: 1s\n" + extra;
        File.WriteAllText(Path.Combine(Folder, "bulwark.yml"), text);
    }

    /// <summary>Runs bulwark; a failure is a broken setup, which stops the scenario.</summary>
    protected async Task<ProgramRun> MustAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var run = await Program.RunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (run.ExitCode != 0)
            throw new ScenarioSetupException($"{Name}: {run.Describe()}");
        return run;
    }

    /// <summary>
    /// Runs the command under test: the measuring trial lets it finish and takes its duration; the others kill it
    /// after Fraction × Typical. Sets the outcome to Completed when it ended by itself (and checks that it succeeded).
    /// </summary>
    protected async Task<ProgramRun> RunKilledAsync(Trial trial, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var delay = trial.Measures ? (TimeSpan?)null : Typical * trial.Fraction;
        var run = await Program.RunAsync(arguments, delay is { } d ? Killers.After(d) : null, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (trial.Measures)
            Typical = run.Elapsed;
        trial.Kill = run.WasKilled
            ? $"killed after {Trial.Seconds(run.Kill.At!.Value)}"
            : delay is { } planned ? $"ended after {Trial.Seconds(run.Elapsed)}, before the kill at {Trial.Seconds(planned)}" : $"measured {Trial.Seconds(run.Elapsed)}";
        if (!run.WasKilled)
        {
            trial.Outcome = TrialOutcome.Completed;
            trial.Check(run.ExitCode == 0, Invariants.Completes, run.Describe);
        }
        return run;
    }

    /// <summary>Runs the same command again after a kill; it must succeed.</summary>
    protected async Task<ProgramRun> RetryAsync(Trial trial, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var run = await Program.RunAsync(arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        trial.Check(run.ExitCode == 0, Invariants.RetrySucceeds, run.Describe);
        return run;
    }

    /// <summary>verify --read-data of every snapshot of <paramref name="repository"/>, through the program.</summary>
    protected async Task VerifyAsync(Trial trial, RepositoryTarget repository, CancellationToken cancellationToken)
    {
        var run = await Program.RunAsync(["verify", "--read-data", "--repo", repository.Location], cancellationToken: cancellationToken).ConfigureAwait(false);
        trial.Check(run.ExitCode == 0, Invariants.Verifies, () => run.Describe() + " " + run.Stdout.Trim().Replace('\n', ' '));
    }

    /// <summary>
    /// Ages what a kill left in the repository as an hour would, runs cleanup, and checks that nothing is left that a
    /// cleanup should have removed.
    /// </summary>
    protected async Task CleanupAndInspectAsync(Trial trial, RepositoryTarget repository, CancellationToken cancellationToken)
    {
        await AgeLeftoversAsync(trial, repository, cancellationToken).ConfigureAwait(false);
        var start = DateTimeOffset.UtcNow;
        var run = await Program.RunAsync(["cleanup", "--repo", repository.Location], cancellationToken: cancellationToken).ConfigureAwait(false);
        trial.Check(run.ExitCode == 0, Invariants.CleanupLeavesNothing, run.Describe);
        await InspectAsync(trial, repository, start, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ages what the next scheduled cleanup would find old: temporary files of a local repository, and lock objects
    /// that do not read (see <see cref="RepositoryTarget.AgeUnreadableLocksAsync"/>).
    /// </summary>
    protected static async Task AgeLeftoversAsync(Trial trial, RepositoryTarget repository, CancellationToken cancellationToken)
    {
        var aged = repository.AgeTemporaryFiles();
        if (aged > 0)
            trial.Notes.Add($"{aged} temporary file(s) in the repository");
        var locks = await repository.AgeUnreadableLocksAsync(cancellationToken).ConfigureAwait(false);
        if (locks > 0)
            trial.Notes.Add($"{locks} lock object(s) that do not read (a put cut off by the kill)");
    }

    protected static async Task InspectAsync(Trial trial, RepositoryTarget repository, DateTimeOffset cleanupStart, CancellationToken cancellationToken)
    {
        foreach (var problem in await repository.LeftoversAsync(trial.Started, cleanupStart, cancellationToken).ConfigureAwait(false))
            trial.Fail(Invariants.CleanupLeavesNothing, problem);
    }

    /// <summary>Checks that every snapshot of <paramref name="before"/> is in <paramref name="after"/>.</summary>
    protected static void CheckSurvivors(Trial trial, IEnumerable<Snapshot> before, IReadOnlyList<Snapshot> after)
    {
        var ids = after.Select(s => s.Id).ToHashSet();
        var lost = before.Where(s => !ids.Contains(s.Id)).Select(s => s.ShortId).ToList();
        trial.Check(lost.Count == 0, Invariants.SnapshotsSurvive, () => $"snapshot(s) {string.Join(", ", lost)} disappeared");
    }

    /// <summary>"restore --files-to" -> "restore-files-to".</summary>
    protected static string Slug(string name)
    {
        var text = new System.Text.StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
                text.Append(c);
            else if (text.Length > 0 && text[^1] != '-')
                text.Append('-');
        }
        return text.ToString().Trim('-');
    }

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_database is not null)
        {
            try
            {
                await ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // The server may be gone already; it is a throwaway.
            }
        }
    }
}

/// <summary>A step that prepares trials failed: the scenario cannot go on, and the run reports it.</summary>
public sealed class ScenarioSetupException(string message) : Exception(message);
