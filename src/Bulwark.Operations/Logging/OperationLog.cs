using System.Text;
using System.Text.Json;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Logging;

/// <summary>
/// The operations log: JSON lines in the state folder, one record per operation, appended with one write each so
/// that concurrent processes do not interleave. Secrets are removed before anything is written. A record that cannot
/// be written is lost, not the operation: <see cref="BulwarkContext.RunLoggedAsync{T}"/> warns and keeps its result.
/// </summary>
public sealed class OperationLog
{
    public const string Ok = "ok";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string FileName = "operations.jsonl";

    public OperationLog(string stateDirectory)
    {
        Path = System.IO.Path.Combine(stateDirectory, FileName);
    }

    public string Path { get; }

    public void Append(OperationRecord record)
    {
        record = record with
        {
            Error = record.Error is null ? null : SecretRedactor.Redact(record.Error),
            Repository = record.Repository is null ? null : SecretRedactor.Redact(record.Repository),
        };
        var line = SecretRedactor.Redact(JsonSerializer.Serialize(record, OperationsJson.TypeInfo<OperationRecord>())) + "\n";
        try
        {
            OwnerOnly.CreateFolder(System.IO.Path.GetDirectoryName(Path)!);
            // Every record starts on a line of its own: after a torn append (a full disk, a crash) the torn line stays
            // alone, and readers skip it.
            if (EndsTorn())
                line = "\n" + line;
            using var file = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(Encoding.UTF8.GetBytes(line));
            file.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Configuration, $"cannot write the operations log {Path}: {e.Message}",
                "check the permissions of the state folder, or set 'state:' in bulwark.yml");
        }
    }

    /// <summary>Whether the log's last line lacks its newline.</summary>
    private bool EndsTorn()
    {
        if (!File.Exists(Path))
            return false;
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        if (length == 0)
            return false;
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(handle, last, length - 1) == 1 && last[0] != (byte)'\n';
    }

    /// <summary>Every record, oldest first. Lines that do not parse (a torn write after a crash) are skipped.</summary>
    public IReadOnlyList<OperationRecord> Read()
    {
        if (!File.Exists(Path))
            return [];
        var records = new List<OperationRecord>();
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
                continue;
            try
            {
                if (JsonSerializer.Deserialize(line, OperationsJson.TypeInfo<OperationRecord>()) is { } record)
                    records.Add(record);
            }
            catch (JsonException)
            {
            }
        }
        return records;
    }
}
