namespace Bulwark.Sources.Postgres.Archive;

/// <summary>The bytes are not a pg_dump custom-format archive this parser can read.</summary>
public sealed class ArchiveFormatException : BulwarkException
{
    public ArchiveFormatException(string message, long offset)
        : base(ErrorKind.Integrity, $"the dump cannot be read as a pg_dump custom archive at byte {offset}: {message}",
            "check that the stream is a pg_dump --format=custom dump made by PostgreSQL 12 to 17 client programs")
    {
        Offset = offset;
    }

    /// <summary>Where in the stream the problem was found.</summary>
    public long Offset { get; }
}
