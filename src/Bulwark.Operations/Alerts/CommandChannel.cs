using System.Text.Json;
using Bulwark.Sources.Processes;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// Runs a shell command ('alerts.on-failure' for problems, 'alerts.on-recovery' for recoveries) with the alert in
/// BULWARK_ALERT_KIND, _STATUS, _TITLE, _TEXT and as JSON on standard input. A non-zero exit, or no exit within the
/// timeout, is a failed delivery.
/// </summary>
internal sealed class CommandChannel : AlertChannel
{
    private readonly string _command;
    private readonly bool _recovery;
    private readonly TimeSpan _timeout;
    private readonly string _workingDirectory;
    private readonly TimeProvider _time;

    public CommandChannel(string command, bool recovery, TimeSpan timeout, string workingDirectory, TimeProvider time)
    {
        _command = command;
        _recovery = recovery;
        _timeout = timeout;
        _workingDirectory = workingDirectory;
        _time = time;
    }

    public override string Id => (_recovery ? "on-recovery-" : "on-failure-") + Hash(_command);
    public override string Name => _recovery ? "on-recovery command" : "on-failure command";
    public override bool SendsProblems => !_recovery;
    public override bool SendsRecoveries => _recovery;

    public override async Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(new ProcessRequest
        {
            FileName = "/bin/sh",
            Arguments = ["-c", _command],
            // An alert command is told what happened, nothing more: no database password, passphrase or cloud key.
            Environment = new Dictionary<string, string?>
            {
                ["BULWARK_ALERT_KIND"] = alert.Kind,
                ["BULWARK_ALERT_STATUS"] = alert.Status,
                ["BULWARK_ALERT_TITLE"] = alert.Title,
                ["BULWARK_ALERT_TEXT"] = alert.ToText(),
            },
            WorkingDirectory = _workingDirectory,
            Input = JsonSerializer.Serialize(alert, OperationsJson.TypeInfo<Alert>()),
            CaptureOutput = false,
            Timeout = _timeout,
            Time = _time,
            MissingAdvice = "check that /bin/sh exists",
        }, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut)
            throw new BulwarkException(ErrorKind.Failed, $"the {Name} did not finish within {_timeout.TotalSeconds:0} s and was stopped");
        if (result.ExitCode != 0)
            throw new BulwarkException(ErrorKind.Failed,
                $"the {Name} exited with {result.ExitCode}" + (result.LastErrorLine is { } last ? $": {last}" : ""));
    }
}
