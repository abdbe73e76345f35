using Bulwark.Sources.Postgres;

namespace Bulwark.Tests.Sources.Postgres;

public sealed class GlobalsScriptTests
{
    [Fact]
    public void Split_KeepsSemicolonsAndBackslashesInsideStringsNamesAndComments_AndSkipsRestrictLines()
    {
        const string script = """
            \restrict AbC123xyz

            --
            -- PostgreSQL database cluster dump; with \ in a comment
            --

            SET default_transaction_read_only = off;
            /* a /* nested */ comment; \! not a command */
            CREATE ROLE "we;ird""\name";
            COMMENT ON ROLE "we;ird""\name" IS 'it''s; C:\path\! here';
            COMMENT ON ROLE app IS E'it\'s; \\! still a string';
            DO $body$ BEGIN RAISE NOTICE '; \! in a dollar quote'; END $body$;
            ALTER ROLE app SET search_path TO '$user', public;
            SELECT $$;\$$
            ;

            \unrestrict AbC123xyz
            -- PostgreSQL database cluster dump complete
            """;
        var statements = GlobalsScript.Split(script.ReplaceLineEndings("\n"), "abcd1234");
        Assert.Equal(7, statements.Count);
        Assert.EndsWith("SET default_transaction_read_only = off;", statements[0]);
        Assert.Equal("CREATE ROLE \"we;ird\"\"\\name\";", statements[1].Trim().Split('\n')[^1]);
        Assert.Equal("COMMENT ON ROLE \"we;ird\"\"\\name\" IS 'it''s; C:\\path\\! here';", statements[2].Trim());
        Assert.Equal("COMMENT ON ROLE app IS E'it\\'s; \\\\! still a string';", statements[3].Trim());
        Assert.StartsWith("DO $body$", statements[4].Trim());
        Assert.Equal("ALTER ROLE app SET search_path TO '$user', public;", statements[5].Trim());
        Assert.Equal("SELECT $$;\\$$\n;", statements[6].Trim());
        Assert.DoesNotContain(statements, s => s.Contains("restrict", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CREATE ROLE a;\n\\! touch /tmp/x\n", "\\!", 2)]
    [InlineData("CREATE ROLE a; \\! touch /tmp/x\n", "\\!", 1)]
    [InlineData("CREATE ROLE a;\nSELECT 1 \\g |sh\n", "\\g", 2)]
    [InlineData("\\connect other\nCREATE ROLE a;\n", "\\connect", 1)]
    [InlineData("SET x = 1;\n\\o |touch /tmp/x\n", "\\o", 2)]
    [InlineData("\\restrict key; \\! touch /tmp/x\n", "\\restrict", 1)]
    [InlineData("CREATE ROLE a\n\\restrict key\n;", "\\restrict", 2)]
    [InlineData("COMMENT ON ROLE a IS 'x\\' \\! touch /tmp/x '\n", "\\!", 1)]
    [InlineData("CREATE ROLE \"a\" \\setenv X y\n", "\\setenv", 1)]
    public void Split_RefusesEveryPsqlCommand_NamingItAndItsLine(string script, string command, int line)
    {
        var error = Assert.Throws<BulwarkException>(() => GlobalsScript.Split(script, "abcd1234"));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains($"psql command ({command})", error.Message);
        Assert.Contains($"at line {line}", error.Message);
        Assert.Contains("nothing was applied", error.Message);
        Assert.Contains("abcd1234", error.Message);
    }

    [Fact]
    public void Split_FollowsStandardConformingStringsOff_AsTheServerReadsTheStrings()
    {
        // With standard_conforming_strings off the server reads \' as a quote inside the string.
        var statements = GlobalsScript.Split("SET standard_conforming_strings = off;\nCOMMENT ON ROLE a IS 'x\\'; y';\nSELECT 1;\n", "abcd1234");
        Assert.Equal(3, statements.Count);
        Assert.Equal("COMMENT ON ROLE a IS 'x\\'; y';", statements[1].Trim());
    }

    [Theory]
    [InlineData("CREATE ROLE a;\n/* x */ copy t FROM STDIN;\n", 2)]
    [InlineData("CREATE ROLE a;\n-- x\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", 3)]
    public void Split_RefusesCopyStatements(string script, int line)
    {
        var error = Assert.Throws<BulwarkException>(() => GlobalsScript.Split(script, "abcd1234"));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains($"COPY statement at line {line}", error.Message);
        Assert.Equal(2, GlobalsScript.Split("CREATE ROLE copy_; COPY_ROLE;", "abcd1234").Count); // a word that only starts with COPY
    }

    [Fact]
    public void Split_RefusesANulByte()
    {
        var error = Assert.Throws<BulwarkException>(() => GlobalsScript.Split("CREATE ROLE a;\0", "abcd1234"));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains("NUL", error.Message);
    }
}
