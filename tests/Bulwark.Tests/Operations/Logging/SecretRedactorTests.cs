using Bulwark.Operations.Logging;

namespace Bulwark.Tests.Operations.Logging;

public sealed class SecretRedactorTests
{
    [Fact]
    public void AKnownSecretWithASeparator_IsRemovedWhole()
    {
        SecretRedactor.Register("q8w7,TailOfIt;more");
        var redacted = SecretRedactor.Redact("connect failed: password=q8w7,TailOfIt;more host=db");
        Assert.DoesNotContain("q8w7", redacted);
        Assert.DoesNotContain("TailOfIt", redacted);
        Assert.Contains("host=db", redacted);
    }

    [Fact]
    public void AKnownSecretThatIsAlsoAWord_DoesNotBreakAKeyValueApart()
    {
        SecretRedactor.Register("ccountk"); // registered secrets are process-wide: a fragment no other test prints
        var redacted = SecretRedactor.Redact("DefaultEndpointsProtocol=http;accountkey=AKIA0000EXAMPLE");
        Assert.DoesNotContain("AKIA0000EXAMPLE", redacted);
    }

    [Theory]
    [InlineData("connecting to postgres://u:p?ss/w@rd@db.example.com/app failed", "connecting to postgres://u:***@db.example.com/app failed")]
    [InlineData("{\"repository\":\"s3://bucket/prefix?endpoint=http://key:se/cr@t@host:9000\"}", "{\"repository\":\"s3://bucket/prefix?endpoint=http://key:***@host:9000\"}")]
    public void AnUnregisteredPasswordWithSlashQuestionMarkOrAt_IsRemovedUpToTheLastAt(string text, string expected) =>
        Assert.Equal(expected, SecretRedactor.Redact(text));
}
