using Bulwark.Operations.Logging;
using Microsoft.Extensions.Logging;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// Log lines of the library (storage retries, failures; every storage call with --verbose) on standard error,
/// secrets removed. Standard output stays for results.
/// </summary>
public sealed class StderrLoggerFactory : ILoggerFactory
{
    private readonly LogLevel _minimum;

    public StderrLoggerFactory(bool verbose)
    {
        _minimum = verbose ? LogLevel.Debug : LogLevel.Warning;
    }

    public ILogger CreateLogger(string categoryName) => new StderrLogger(_minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class StderrLogger(LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var level = logLevel switch
            {
                LogLevel.Warning => "warning",
                LogLevel.Error or LogLevel.Critical => "error",
                _ => "debug",
            };
            Console.Error.WriteLine($"{level}: {SecretRedactor.Redact(formatter(state, exception))}");
        }
    }
}
