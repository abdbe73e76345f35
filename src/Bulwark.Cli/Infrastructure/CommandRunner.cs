using System.CommandLine;
using Bulwark.Operations.Logging;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// Runs a command's body and turns its failures into one line, a hint, and an exit code from <see cref="ExitCodes"/>.
/// A stack trace is printed only for unexpected errors, and only with --verbose.
/// </summary>
public static class CommandRunner
{
    public static void SetHandler(this Command command, Func<Invocation, CancellationToken, Task<int>> body) =>
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));

    private static async Task<int> RunAsync(ParseResult parseResult, Func<Invocation, CancellationToken, Task<int>> body,
        CancellationToken cancellationToken)
    {
        var invocation = new Invocation(parseResult);
        var verbose = parseResult.GetValue(GlobalOptions.Verbose) || Environment.GetEnvironmentVariable("BULWARK_DEBUG") == "1";
        try
        {
            return await body(invocation, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            invocation.Output.Fail("cancelled; nothing was committed", null);
            return ExitCodes.Cancelled;
        }
        catch (BulwarkException e)
        {
            if (e.Kind == ErrorKind.Cancelled)
            {
                invocation.Output.Fail(e.Message, e.Advice);
                return ExitCodes.Cancelled;
            }
            Report(invocation, e.Message, e.Advice, e.Kind.ToString());
            if (verbose && e.InnerException is not null)
                Console.Error.WriteLine(SecretRedactor.Redact(e.InnerException.ToString()));
            return ExitCodes.For(e.Kind);
        }
        catch (Exception e)
        {
            Report(invocation, $"unexpected {e.GetType().Name}: {e.Message}",
                verbose ? null : "run again with --verbose for details, and report it if it persists", nameof(ErrorKind.Internal));
            if (verbose)
                Console.Error.WriteLine(SecretRedactor.Redact(e.ToString()));
            return ExitCodes.Failed;
        }
    }

    private static void Report(Invocation invocation, string message, string? advice, string kind)
    {
        invocation.Output.Fail(message, advice);
        if (invocation.Json)
            invocation.Output.WriteJson(new JsonOutputs.Failure(SecretRedactor.Redact(message), kind, advice));
    }
}
