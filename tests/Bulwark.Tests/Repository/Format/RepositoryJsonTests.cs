using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Repositories;
using Bulwark.Repository.Format;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository.Format;

/// <summary>
/// The compile-time serializers must write exactly what the reflection serializer writes: the repository format does
/// not depend on how the JSON is produced.
/// </summary>
public sealed class RepositoryJsonTests(PostgresFixture pg)
{
    private static readonly JsonSerializerOptions Reflection = new(RepositoryJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    [Fact]
    public async Task GeneratedSerializers_WriteWhatReflectionWrites()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("json");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 100) g;");
        var context = TestConfig.Context(dir, pg.Url(database));
        await new InitOperation(context).RunAsync(null, dir.Path, ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Tags = ["daily"] }, null, ct);
        await using var repository = await context.OpenRepositoryAsync(ct);
        var summaries = await new SnapshotCatalog(repository, context.Config.StateDirectory).ListAsync(ct);
        var record = context.Log.Read().Last();

        AssertSame(backup.Snapshot.Manifest);
        AssertSame(repository.Config);
        AssertSame(summaries.Single());
        AssertSame(record);
        Assert.Contains("\"streams\":[", JsonSerializer.Serialize(backup.Snapshot.Manifest, RepositoryJson.Options));
    }

    private static void AssertSame<T>(T value)
    {
        var operations = typeof(T).Namespace!.StartsWith("Bulwark.Operations", StringComparison.Ordinal);
        var generated = operations ? OperationsJson.Options : RepositoryJson.Options;
        IJsonTypeInfoResolver context = operations ? OperationsJsonContext.Default : RepositoryJsonContext.Default;
        Assert.NotNull(context.GetTypeInfo(typeof(T), generated));
        Assert.Equal(JsonSerializer.Serialize(value, Reflection), JsonSerializer.Serialize(value, generated));
    }
}
