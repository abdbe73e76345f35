using System.Diagnostics;
using System.Text;
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

    public CommandChannel(string command, bool recovery, TimeSpan timeout, string workingDirectory)
    {
        _command = command;
        _recovery = recovery;
        _timeout = timeout;
        _workingDirectory = workingDirectory;
    }

    public override string Id => (_recovery ? "on-recovery-" : "on-failure-") + Hash(_command);
    public override string Name => _recovery ? "on-recovery command" : "on-failure command";
    public override bool SendsProblems => !_recovery;
    public override bool SendsRecoveries => _recovery;

    public override async Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _workingDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(_command);
        // An alert command is told what happened, nothing more: no database password, passphrase or cloud key.
        ChildEnvironment.RemoveSecrets(info.Environment);
        info.Environment["BULWARK_ALERT_KIND"] = alert.Kind;
        info.Environment["BULWARK_ALERT_STATUS"] = alert.Status;
        info.Environment["BULWARK_ALERT_TITLE"] = alert.Title;
        info.Environment["BULWARK_ALERT_TEXT"] = alert.ToText();
        using var process = Process.Start(info)
            ?? throw new BulwarkException(ErrorKind.Failed, $"cannot start the {Name}");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(alert, OperationsJson.Options).AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the command need not read its input
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
                throw;
            throw new BulwarkException(ErrorKind.Failed, $"the {Name} did not finish within {_timeout.TotalSeconds:0} s and was stopped");
        }
        await output.ConfigureAwait(false);
        var stderr = (await errors.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
        {
            var last = stderr.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim();
            throw new BulwarkException(ErrorKind.Failed,
                new StringBuilder($"the {Name} exited with {process.ExitCode}").Append(last is null ? "" : $": {last}").ToString());
        }
    }
}
