using System.Text.Json;
using Bulwark.Operations;
using Bulwark.Operations.Logging;
using Spectre.Console;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// Where a command writes: tables and colour on a terminal, plain text when piped, JSON with --json. Errors and
/// progress go to standard error so that standard output stays parseable.
/// </summary>
public sealed class Output
{
    public Output(bool json)
    {
        Json = json;
        Interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        ErrorInteractive = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        Out = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        Error = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = ErrorInteractive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ErrorInteractive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = ErrorInteractive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!Interactive)
            Out.Profile.Width = 200;
    }

    public bool Json { get; }
    public bool Interactive { get; }
    public bool ErrorInteractive { get; }
    public IAnsiConsole Out { get; }
    public IAnsiConsole Error { get; }

    /// <summary>A line of plain text (markup is not interpreted).</summary>
    public void Line(string text = "") => Out.WriteLine(text);

    public void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, CliJson.TypeInfo<T>()));

    /// <summary>A table: boxed on a terminal, plain columns otherwise.</summary>
    public Table Table(params string[] columns)
    {
        var table = new Table { Border = Interactive ? TableBorder.Rounded : TableBorder.None };
        foreach (var column in columns)
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        return table;
    }

    public void Write(Table table) => Out.Write(table);

    /// <summary>Prints an error on one line, with what to do on the next.</summary>
    public void Fail(string message, string? advice)
    {
        message = SecretRedactor.Redact(message);
        if (ErrorInteractive)
        {
            Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
            if (advice is not null)
                Error.MarkupLine($"[yellow]hint:[/] {Markup.Escape(SecretRedactor.Redact(advice))}");
        }
        else
        {
            Console.Error.WriteLine($"error: {message}");
            if (advice is not null)
                Console.Error.WriteLine($"hint: {SecretRedactor.Redact(advice)}");
        }
    }

    /// <summary>A short note on standard error (kept out of JSON output).</summary>
    public void Note(string text)
    {
        if (ErrorInteractive)
            Error.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
        else
            Console.Error.WriteLine(text);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a live byte counter on a terminal (standard error); silently otherwise.
    /// </summary>
    public async Task<T> WithProgressAsync<T>(string description, long? total, Func<IProgress<long>?, Task<T>> work)
    {
        if (!ErrorInteractive || Json)
            return await work(null);
        T result = default!;
        await Error.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: total is > 0 ? total.Value : 1);
                if (total is not > 0)
                    task.IsIndeterminate = true;
                var progress = new SynchronousProgress(bytes =>
                {
                    task.Increment(bytes);
                    if (task.IsIndeterminate)
                        task.MaxValue = Math.Max(task.MaxValue, task.Value + 1);
                });
                result = await work(progress);
                task.StopTask();
            });
        return result;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to a context that a console app lacks).</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        private readonly Lock _gate = new();

        public void Report(long value)
        {
            lock (_gate)
                report(value);
        }
    }
}
