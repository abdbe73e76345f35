using System.CommandLine;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;

namespace Bulwark.Cli.Infrastructure;

/// <summary>One run of a command: its parsed options, its output, and (loaded on first use) the configuration.</summary>
public sealed class Invocation
{
    private BulwarkContext? _context;

    public Invocation(ParseResult parseResult)
    {
        ParseResult = parseResult;
        Output = new Output(parseResult.GetValue(GlobalOptions.Json));
    }

    public ParseResult ParseResult { get; }
    public Output Output { get; }
    public bool Json => Output.Json;

    public T Get<T>(Option<T> option) => ParseResult.GetValue(option)!;
    public T Get<T>(Argument<T> argument) => ParseResult.GetValue(argument)!;

    /// <summary>The configuration and everything built on it; a configuration error surfaces here.</summary>
    public BulwarkContext Context => _context ??= CreateContext();

    private BulwarkContext CreateContext()
    {
        var config = ConfigLoader.Load(ParseResult.GetValue(GlobalOptions.Config), Environment.CurrentDirectory);
        var verbose = ParseResult.GetValue(GlobalOptions.Verbose);
        return new BulwarkContext(config, storageLogging: new StderrLoggerFactory(verbose))
        {
            RepositoryOverride = ParseResult.GetValue(GlobalOptions.Repository),
            // Encrypted repositories: the passphrase from BULWARK_PASSWORD(_FILE/_COMMAND), else asked on the terminal.
            PassphrasePrompt = new TerminalPassphrasePrompt(),
            Warning = text => Output.Note("warning: " + Operations.Logging.SecretRedactor.Redact(text)),
        };
    }
}
