using System.CommandLine;
using Bulwark.Cli;
using Bulwark.Cli.Commands;
using Bulwark.Cli.Infrastructure;

var root = CliApplication.Build();
var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0 && !HelpWithExitCodes.IsHelp(parseResult.Action))
{
    foreach (var error in parseResult.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("hint: run 'bulwark --help' or 'bulwark COMMAND --help'");
    return CheckCommand.UsageExitCode(parseResult) ?? ExitCodes.Usage;
}
return await parseResult.InvokeAsync(new InvocationConfiguration
{
    EnableDefaultExceptionHandler = false,
    // The daemon stops through the Generic Host (SIGTERM, then daemon.shutdown-timeout for running jobs).
    ProcessTerminationTimeout = DaemonCommand.IsDaemon(parseResult) ? null : TimeSpan.FromSeconds(30),
});
