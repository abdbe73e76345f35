using Bulwark.Sources.Postgres;

namespace Bulwark.Tests.Sources.Postgres;

/// <summary>Whether a connection string itself holds a password (backup then warns that others can see it).</summary>
public sealed class ConnectionPasswordTests
{
    [Theory]
    [InlineData("postgres://u:secret@h/d", true)]
    [InlineData("postgresql://u:s%40cret@h:5433/d?sslmode=require", true)]
    [InlineData("postgres://h/d?password=secret", true)]
    [InlineData("host=h dbname=d password='s e c'", true)]
    [InlineData("host=h password = secret", true)]
    [InlineData("postgres://u@h/d", false)]
    [InlineData("postgres://u:@h/d", false)]
    [InlineData("host=h dbname=d user=u", false)]
    [InlineData("host=h dbname=password", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("not a connection string", false)]
    public void ContainsPassword_FindsOnlyAPasswordInTheStringItself(string? connection, bool expected) =>
        Assert.Equal(expected, PgConnectionSettings.ContainsPassword(connection));
}
