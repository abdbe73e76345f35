using System.Text;
using Bulwark.Sources.Processes;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// Writes the schedule of the configuration into the invoking user's crontab or systemd user units (never anything
/// that needs root). Installing twice changes nothing; other crontab lines are never touched.
/// </summary>
public sealed class ScheduleInstaller
{
    /// <summary>The crontab file to edit instead of the user's crontab (tests, and systems with a file-based cron).</summary>
    public const string CrontabFileVariable = "BULWARK_CRONTAB_FILE";

    /// <summary>The folder of systemd units instead of ~/.config/systemd/user.</summary>
    public const string SystemdDirectoryVariable = "BULWARK_SYSTEMD_DIR";

    private readonly BulwarkContext _context;

    public ScheduleInstaller(BulwarkContext context)
    {
        _context = context;
    }

    public JobSchedule Schedule => JobSchedule.FromConfig(_context.Settings, _context.Time);

    /// <summary>What scheduled runs execute; they need the configuration file, so that they find the same settings.</summary>
    public ScheduledCommand Command(IReadOnlyList<string>? program = null)
    {
        var path = _context.Config.FilePath ?? throw new BulwarkException(ErrorKind.Configuration,
            "there is no configuration file, and scheduled runs need one to find the repository and the database",
            "create one with 'bulwark init', or pass --config FILE");
        return new ScheduledCommand(program ?? ScheduledCommand.CurrentProgram(), Path.GetFullPath(path), _context.Config.BaseDirectory);
    }

    public async Task<InstallResult> InstallCronAsync(string? crontabFile, bool remove, bool dryRun,
        CancellationToken cancellationToken, IReadOnlyList<string>? program = null)
    {
        crontabFile ??= _context.Config.GetEnvironment(CrontabFileVariable);
        var command = Command(program);
        var schedule = Schedule;
        var warnings = new List<string>();
        if (_context.Settings.Schedule.TimeZone is { Length: > 0 } zone && schedule.TimeZone.Id != _context.Time.LocalTimeZone.Id)
            warnings.Add($"cron runs in the system's time zone ({_context.Time.LocalTimeZone.Id}), not in schedule.time-zone {zone}; " +
                         "use --systemd or 'bulwark daemon' to keep the zone");
        string existing;
        try
        {
            existing = crontabFile is null
                ? await ReadUserCrontabAsync(cancellationToken).ConfigureAwait(false)
                : File.Exists(crontabFile) ? await File.ReadAllTextAsync(crontabFile, cancellationToken).ConfigureAwait(false) : "";
        }
        catch (BulwarkException e) when (dryRun && e.Kind == ErrorKind.ToolMissing)
        {
            // Printing the block needs no crontab program; installing it will.
            existing = "";
            warnings.Add($"{e.Message}: {e.Advice}");
        }
        var logPath = Path.Combine(_context.Config.StateDirectory, "schedule.log");
        var block = remove || schedule.Jobs.Count == 0 ? null : CronTab.Block(schedule, command, logPath);
        var updated = CronTab.Apply(existing, command.ConfigPath, block);
        var changed = updated != existing;
        var target = crontabFile ?? "the crontab of " + Environment.UserName;
        if (changed && !dryRun)
        {
            if (block is not null)
                OwnerOnly.CreateFolder(_context.Config.StateDirectory);
            if (crontabFile is null)
            {
                await WriteUserCrontabAsync(updated, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AtomicFile.WriteAsync(crontabFile, Encoding.UTF8.GetBytes(updated), SharedFile, cancellationToken).ConfigureAwait(false);
            }
        }
        return new InstallResult
        {
            Target = target,
            Changed = changed,
            Content = new Dictionary<string, string> { [target] = block ?? "" },
            Removed = remove ? [target] : [],
            Warnings = warnings,
            NextSteps = block is null ? [] : [$"runs append to {logPath}; 'bulwark schedule show' shows the last runs"],
        };
    }

    public InstallResult InstallSystemd(string? unitDirectory, string prefix, bool remove, bool dryRun,
        IReadOnlyList<string>? program = null)
    {
        if (string.IsNullOrWhiteSpace(prefix) || !prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new BulwarkException(ErrorKind.Usage, $"'{prefix}' is not a unit name prefix", "use letters, digits, '-' and '_'");
        var folder = unitDirectory ?? _context.Config.GetEnvironment(SystemdDirectoryVariable) ?? DefaultUnitFolder();
        var command = Command(program);
        var schedule = Schedule;
        var zone = _context.Settings.Schedule.TimeZone is { Length: > 0 } ? schedule.TimeZone.Id : null;
        var units = remove ? new Dictionary<string, string>() : SystemdUnits.Render(schedule, command, prefix, zone);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var (name, content) in units)
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path) && File.ReadAllText(path) == content)
                continue;
            written[path] = content;
        }
        // Units of jobs that are now off (or of everything, when removing) go, if this tool wrote them.
        foreach (var job in JobNames.All)
        {
            foreach (var suffix in new[] { ".timer", ".service" })
            {
                var name = $"{prefix}-{job}{suffix}";
                var path = Path.Combine(folder, name);
                if (!units.ContainsKey(name) && File.Exists(path) && File.ReadAllText(path).Contains("bulwark schedule install --systemd", StringComparison.Ordinal))
                    removed.Add(path);
            }
        }
        if (!dryRun)
        {
            if (written.Count > 0)
                Directory.CreateDirectory(folder);
            foreach (var (path, content) in written)
                AtomicFile.WriteText(path, content, SharedFile);
            foreach (var path in removed)
                File.Delete(path);
        }
        var timers = units.Keys.Where(k => k.EndsWith(".timer", StringComparison.Ordinal)).ToList();
        var steps = new List<string> { "systemctl --user daemon-reload" };
        if (timers.Count > 0)
        {
            steps.Add($"systemctl --user enable --now {string.Join(' ', timers)}");
            steps.Add($"loginctl enable-linger {Environment.UserName}   # to run while you are logged out");
            steps.Add($"systemctl --user list-timers '{prefix}-*'");
        }
        else if (removed.Count > 0)
        {
            steps.Insert(0, $"systemctl --user disable --now {string.Join(' ', removed.Where(r => r.EndsWith(".timer", StringComparison.Ordinal)).Select(Path.GetFileName))}");
        }
        return new InstallResult
        {
            Target = folder,
            Changed = written.Count > 0 || removed.Count > 0,
            Content = units.ToDictionary(u => Path.Combine(folder, u.Key), u => u.Value),
            Written = written.Keys.ToList(),
            Removed = removed,
            Warnings = [],
            NextSteps = steps,
        };
    }

    private string DefaultUnitFolder()
    {
        var xdg = _context.Config.GetEnvironment("XDG_CONFIG_HOME");
        var home = _context.Config.GetEnvironment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".config") : xdg, "systemd", "user");
    }

    private static async Task<string> ReadUserCrontabAsync(CancellationToken cancellationToken)
    {
        var result = await RunCrontabAsync("-l", null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0)
            return result.Output;
        // "no crontab for USER": an empty crontab.
        if (result.Errors.Contains("no crontab", StringComparison.OrdinalIgnoreCase))
            return "";
        throw new BulwarkException(ErrorKind.Failed, $"'crontab -l' failed: {result.Errors.Trim()}", "check that cron is installed and that you may use it (/etc/cron.allow)");
    }

    private static async Task WriteUserCrontabAsync(string content, CancellationToken cancellationToken)
    {
        var result = await RunCrontabAsync("-", content, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new BulwarkException(ErrorKind.Failed, $"'crontab -' refused the new crontab: {result.Errors.Trim()}",
                "run with --print to see it, and check that you may use cron (/etc/cron.allow)");
    }

    /// <summary>Runs crontab; the new crontab goes through its standard input, never its command line.</summary>
    private static async Task<ProcessResult> RunCrontabAsync(string argument, string? input, CancellationToken cancellationToken)
    {
        try
        {
            return await ProcessRunner.RunAsync(new ProcessRequest { FileName = "crontab", Arguments = [argument], Input = input },
                cancellationToken).ConfigureAwait(false);
        }
        catch (BulwarkException e) when (e.Kind == ErrorKind.ToolMissing)
        {
            throw new BulwarkException(ErrorKind.ToolMissing, "the crontab program is not installed",
                "install cron (e.g. 'apt-get install cron'), or use --systemd, or run 'bulwark daemon'");
        }
    }

    /// <summary>Files other programs read (cron, systemd): their mode is kept, a new one is 0644.</summary>
    private static readonly AtomicWriteOptions SharedFile = new()
    {
        KeepExistingMode = true,
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
    };
}
