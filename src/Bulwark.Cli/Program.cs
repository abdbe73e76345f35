using System.CommandLine;
using Bulwark.Cli;
using Bulwark.Cli.Infrastructure;

var root = CliApplication.Build();
var parseResult = root.Parse(args);
if (parseResult.Errors.Count > 0 && !HelpWithExitCodes.IsHelp(parseResult.Action))
{
    foreach (var error in parseResult.Errors)
        Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine("hint: run 'bulwark --help' or 'bulwark COMMAND --help'");
    return ExitCodes.Usage;
}
return await parseResult.InvokeAsync(new InvocationConfiguration
{
    EnableDefaultExceptionHandler = false,
    ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
});
