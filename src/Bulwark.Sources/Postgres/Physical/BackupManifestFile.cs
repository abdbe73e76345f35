using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// The backup_manifest that pg_basebackup writes (version 1), with SHA-256 per file, for a base backup that Bulwark
/// read itself: pg_verifybackup then checks a restored folder exactly as it would one that pg_basebackup made.
/// </summary>
public static class BackupManifestFile
{
    public sealed record Entry(string Path, long Size, DateTime ModifiedUtc, string Sha256);

    public static byte[] Build(IEnumerable<Entry> files, int timeline, Lsn start, Lsn stop)
    {
        var text = new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
        var separator = "\n";
        foreach (var file in files)
        {
            text.Append(separator).Append(CultureInfo.InvariantCulture,
                $"{{ \"Path\": \"{JsonEncodedText.Encode(file.Path)}\", \"Size\": {file.Size}, \"Last-Modified\": \"{file.ModifiedUtc:yyyy-MM-dd HH:mm:ss} GMT\", \"Checksum-Algorithm\": \"SHA256\", \"Checksum\": \"{file.Sha256}\" }}");
            separator = ",\n";
        }
        text.Append(CultureInfo.InvariantCulture,
            $"\n],\n\"WAL-Ranges\": [\n{{ \"Timeline\": {timeline}, \"Start-LSN\": \"{start}\", \"End-LSN\": \"{stop}\" }}\n],\n");
        // The checksum covers every line before the last one (pg_verifybackup's rule).
        var body = Encoding.UTF8.GetBytes(text.ToString());
        var checksum = Convert.ToHexStringLower(SHA256.HashData(body));
        return [.. body, .. Encoding.UTF8.GetBytes($"\"Manifest-Checksum\": \"{checksum}\"}}\n")];
    }
}
